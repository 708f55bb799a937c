/**
 * Baseline: the scenarios' data fetched by hand-written SQL through the same driver as the gateway
 * (better-sqlite3 or pg), resolved by graphql-js over node:http. No ORM, no permission layer: the visibility
 * rules are written into the SQL, the viewer's permissions come from the same pure policy functions.
 *
 * It answers exactly the operations of the read scenarios (scenarios.ts), with the same response bodies as
 * the gateway (the runner checks that before measuring), and nothing else.
 */
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import DataLoader from 'dataloader';
import { buildSchema, GraphQLError, GraphQLScalarType } from 'graphql';
import { counters, serve } from '../child.ts';
import { graphqlServer } from './graphql-http.ts';
import { secretKey, viewerFromAuthorization, type Viewer } from '../../src/auth/viewer.ts';
import { tokenVerifier } from '../../src/auth/tokens.ts';
import { groupPermissions } from '../../src/auth/policy.ts';
import { cursorShape, encodeCursor } from '../../src/schema/pagination.ts';
import { DEFAULT_POOL_SIZE } from '../../src/db/defaults.ts';

type Row = Record<string, unknown>;
interface Sql {
  all(sql: string, params: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

const url = process.env.DATABASE_URL!;

function sqlite(file: string): Sql {
  const db = new Database(file);
  const statements = new Map<string, Database.Statement>();
  return {
    async all(sql, params) {
      counters.statements++;
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement.all(params) as Row[];
    },
    async close() {
      db.close();
    },
  };
}

function postgres(connectionString: string): Sql {
  // timestamp(3) holds UTC (as Prisma writes it): read it as UTC whatever the machine's zone.
  pg.types.setTypeParser(1114, (value: string) => new Date(`${value.replace(' ', 'T')}Z`));
  const pool = new pg.Pool({ connectionString, max: Number(process.env.DATABASE_POOL_SIZE || DEFAULT_POOL_SIZE) });
  const numbered = new Map<string, string>();
  return {
    async all(sql, params) {
      counters.statements++;
      let text = numbered.get(sql);
      if (!text) {
        let n = 0;
        numbered.set(sql, (text = sql.replace(/\?/g, () => `$${++n}`)));
      }
      return (await pool.query({ text, values: params })).rows;
    },
    close: () => pool.end(),
  };
}

const db = url.startsWith('file:') ? sqlite(url.slice('file:'.length)) : postgres(url);
const isSqlite = url.startsWith('file:');
const tokens = tokenVerifier(secretKey(process.env.JWT_SECRET!), { jwksUrl: null, jwksMaxAgeSeconds: 600, publicKeyPem: null, issuer: null, audience: null, rolesClaim: 'roles', nameClaim: 'name', cookie: null });

const date = (value: unknown) => (value instanceof Date ? value : new Date(value as string));
const bool = (value: unknown) => value === true || value === 1 || value === 1n;

interface GroupRow {
  id: string; slug: string; name: string; description: string | null; privacy: 'PUBLIC' | 'PRIVATE' | 'SECRET';
  createdAt: Date; membersCount: number; membersCanApprove: boolean; membersCanInvite: boolean; showMemberList: boolean;
  viewerRole: 'MEMBER' | 'ADMIN' | null; pending: boolean; soleAdmin: boolean;
}

/** Whether the viewer (membership `m`) is the group's only admin, who may not leave: NULL unless an admin. */
const SOLE_ADMIN = `CASE WHEN m."role" = 'ADMIN' THEN NOT EXISTS (SELECT 1 FROM "GroupMember" oa
  WHERE oa."groupId" = g."id" AND oa."role" = 'ADMIN' AND oa."memberId" <> m."memberId") END AS "soleAdmin"`;

const GROUP_COLUMNS = `g."id", g."slug", g."name", g."description", g."privacy", g."createdAt", g."membersCount",
  g."membersCanApprove", g."membersCanInvite", g."showMemberList"`;

function toGroup(row: Row): GroupRow {
  return {
    id: row.id as string,
    slug: row.slug as string,
    name: row.name as string,
    description: (row.description as string | null) ?? null,
    privacy: row.privacy as GroupRow['privacy'],
    createdAt: date(row.createdAt),
    membersCount: Number(row.membersCount),
    membersCanApprove: bool(row.membersCanApprove),
    membersCanInvite: bool(row.membersCanInvite),
    showMemberList: bool(row.showMemberList),
    viewerRole: (row.viewerRole as GroupRow['viewerRole']) ?? null,
    pending: row.pending != null,
    soleAdmin: row.soleAdmin != null && bool(row.soleAdmin),
  };
}

interface Ctx {
  viewer: Viewer;
  members: DataLoader<string, Row[]>;
  membersTake: number;
}

/** One statement for a page of members of many groups: a LIMITed branch per group, joined by UNION ALL. */
function memberLoader(ctx: () => Ctx) {
  return new DataLoader<string, Row[]>(async (groupIds) => {
    const take = ctx().membersTake;
    const branch = `SELECT * FROM (SELECT "id", "groupId", "memberId", "role", "joinedAt" FROM "GroupMember" WHERE "groupId" = ? ORDER BY "joinedAt", "id" LIMIT ${take}) AS b`;
    const rows = await db.all(groupIds.map(() => branch).join(' UNION ALL '), [...groupIds]);
    const byGroup = new Map<string, Row[]>();
    for (const row of rows) {
      const list = byGroup.get(row.groupId as string);
      if (list) list.push(row);
      else byGroup.set(row.groupId as string, [row]);
    }
    return groupIds.map((id) => byGroup.get(id) ?? []);
  });
}

const SORTS: Record<string, string> = { NAME: 'nameSearch', CREATED_AT: 'createdAt', MEMBERS_COUNT: 'membersCount', RECENT_ACTIVITY: 'recentActivityAt' };
const KINDS: Record<string, 'string' | 'date' | 'int'> = { nameSearch: 'string', createdAt: 'date', membersCount: 'int', recentActivityAt: 'date' };
/** The cursors' shapes, as the gateway makes them (src/schema/groups.ts, members.ts). */
const groupsShape = (column: string, order: 'asc' | 'desc') =>
  cursorShape('groups', [{ field: column, order, kind: KINDS[column] }, { field: 'id', order, kind: 'string' }]);
const MEMBERS_SHAPE = cursorShape('members', [{ field: 'joinedAt', order: 'asc', kind: 'date' }, { field: 'id', order: 'asc', kind: 'string' }]);

const schema = buildSchema(`
  scalar DateTime
  enum GroupPrivacy { PUBLIC PRIVATE SECRET }
  enum GroupRole { MEMBER ADMIN }
  enum GroupSortField { NAME CREATED_AT MEMBERS_COUNT RECENT_ACTIVITY }
  enum SortOrder { ASC DESC }
  input GroupFilter { privacy: [GroupPrivacy!] search: String memberId: ID }
  input GroupSort { field: GroupSortField! order: SortOrder! }
  type Query {
    groups(filter: GroupFilter, sort: [GroupSort!], first: Int, after: String, offset: Int): GroupConnection!
    groupBySlug(slug: String!): Group
  }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type GroupConnection { edges: [GroupEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type GroupEdge { cursor: String! node: Group! }
  type GroupSettings { membersCanApprove: Boolean! membersCanInvite: Boolean! showMemberList: Boolean! }
  type GroupRule { id: ID! title: String! description: String! }
  type MembershipQuestion { id: ID! text: String! required: Boolean! }
  type GroupPermissions { view: Boolean! viewContent: Boolean! join: Boolean! requestToJoin: Boolean! leave: Boolean!
    addMembers: Boolean! removeMembers: Boolean! approveJoinRequests: Boolean! assignRoles: Boolean! update: Boolean! delete: Boolean! }
  type Group {
    id: ID! slug: String! name: String! description: String privacy: GroupPrivacy! createdAt: DateTime! membersCount: Int!
    settings: GroupSettings! rules: [GroupRule!]! questions: [MembershipQuestion!]!
    viewerRole: GroupRole viewerCan: GroupPermissions!
    members(role: GroupRole, first: Int, after: String): GroupMemberConnection
  }
  type GroupMember { memberId: ID! role: GroupRole! joinedAt: DateTime! }
  type GroupMemberConnection { edges: [GroupMemberEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type GroupMemberEdge { cursor: String! node: GroupMember! }
`);

Object.assign(schema.getType('DateTime') as GraphQLScalarType, {
  serialize: (value: unknown) => date(value).toISOString(),
});

const unsupported = () => new Error('The hand-written baseline answers the benchmark scenarios only.');

const resolvers = {
  Query: {
    async groups(args: { filter?: { memberId?: string }; sort?: { field: string; order: string }[]; first?: number }, ctx: Ctx) {
      const first = args.first ?? 20;
      const sort = args.sort?.[0] ?? { field: 'CREATED_AT', order: 'DESC' };
      const column = SORTS[sort.field];
      const dir = sort.order === 'ASC' ? 'ASC' : 'DESC';
      const viewer = ctx.viewer;
      let from: string;
      let params: unknown[];
      let select = GROUP_COLUMNS;
      if (args.filter?.memberId && args.filter.memberId === viewer.memberId && !viewer.isGroupsManager) {
        // The viewer's own groups: all of them (a member may list their own memberships, hidden member lists too).
        from = `"GroupMember" m JOIN "Group" g ON g."id" = m."groupId" WHERE m."memberId" = ?`;
        params = [viewer.memberId];
        select += `, m."role" AS "viewerRole", ${SOLE_ADMIN}`;
      } else if (!args.filter && viewer.memberId === null) {
        from = `"Group" g WHERE g."privacy" IN ('PUBLIC', 'PRIVATE')`;
        params = [];
      } else {
        throw unsupported();
      }
      const [rows, count] = await Promise.all([
        db.all(`SELECT ${select}, g."${column}" AS "sortValue" FROM ${from} ORDER BY g."${column}" ${dir}, g."id" ${dir} LIMIT ${first + 1}`, params),
        db.all(`SELECT COUNT(*) AS "n" FROM ${from}`, params),
      ]);
      const groups = rows.slice(0, first).map((row) => ({ group: toGroup(row), sortValue: row.sortValue }));
      const shape = groupsShape(column, dir === 'ASC' ? 'asc' : 'desc');
      const edges = groups.map(({ group, sortValue }) => ({
        cursor: encodeCursor(shape, [column === 'membersCount' ? Number(sortValue) : column === 'nameSearch' ? (sortValue as string) : date(sortValue), group.id]),
        node: group,
      }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
        totalCount: Number(count[0].n),
      };
    },
    async groupBySlug(args: { slug: string }, ctx: Ctx) {
      const me = ctx.viewer.memberId;
      if (me === null || ctx.viewer.isGroupsManager) throw unsupported();
      const rows = await db.all(
        `SELECT ${GROUP_COLUMNS}, m."role" AS "viewerRole", ${SOLE_ADMIN}, r."id" AS "pending"
         FROM "Group" g LEFT JOIN "GroupMember" m ON m."groupId" = g."id" AND m."memberId" = ?
         LEFT JOIN "JoinRequest" r ON r."pendingKey" = g."id" || ':' || ?
         WHERE g."slug" = ? AND (g."privacy" IN ('PUBLIC', 'PRIVATE') OR m."id" IS NOT NULL)`,
        [me, me, args.slug],
      );
      return rows.length ? toGroup(rows[0]) : null;
    },
  },
};

const typeResolvers = {
  Group: {
    settings: (group: GroupRow) => group,
    viewerCan: (group: GroupRow, _args: unknown, ctx: Ctx) => groupPermissions(ctx.viewer, group, group.viewerRole, group.pending, group.soleAdmin),
    rules: async (group: GroupRow) =>
      db.all(`SELECT "id", "title", "description" FROM "GroupRule" WHERE "groupId" = ? ORDER BY "position"`, [group.id]),
    questions: async (group: GroupRow) =>
      (await db.all(`SELECT "id", "text", "required" FROM "MembershipQuestion" WHERE "groupId" = ? ORDER BY "position"`, [group.id]))
        .map((q) => ({ ...q, required: bool(q.required) })),
    members: async (group: GroupRow, args: { role?: string; first?: number; after?: string }, ctx: Ctx) => {
      if (args.role || args.after) throw unsupported();
      const first = args.first ?? 20;
      // The member list, narrowed by showMemberList (a viewer's own groups include those whose list is hidden).
      if (!(ctx.viewer.isGroupsManager || group.viewerRole === 'ADMIN' || (group.showMemberList && (group.privacy === 'PUBLIC' || group.viewerRole)))) {
        throw new GraphQLError('You may not see the members of this group.', { extensions: { code: 'FORBIDDEN' } });
      }
      ctx.membersTake = first + 1;
      const rows = await ctx.members.load(group.id);
      const edges = rows.slice(0, first).map((row) => ({
        cursor: encodeCursor(MEMBERS_SHAPE, [date(row.joinedAt), row.id as string]),
        node: { memberId: row.memberId, role: row.role, joinedAt: date(row.joinedAt) },
      }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
        totalCount: group.membersCount,
      };
    },
  },
};

// Field resolvers onto the built schema (root fields take (args, ctx) through the root value's methods).
for (const [typeName, fields] of Object.entries(typeResolvers)) {
  const type = schema.getType(typeName) as import('graphql').GraphQLObjectType;
  for (const [field, resolve] of Object.entries(fields)) type.getFields()[field].resolve = resolve as never;
}
const queryFields = (schema.getQueryType()!).getFields();
queryFields.groups.resolve = (_root, args, ctx) => resolvers.Query.groups(args as never, ctx);
queryFields.groupBySlug.resolve = (_root, args, ctx) => resolvers.Query.groupBySlug(args as never, ctx);

const server = graphqlServer(schema, async (req): Promise<Ctx> => {
  const ctx: Ctx = {
    viewer: await viewerFromAuthorization(req.headers.authorization, tokens),
    members: memberLoader(() => ctx),
    membersTake: 21,
  };
  return ctx;
});
server.listen(0, '127.0.0.1', () =>
  serve((server.address() as AddressInfo).port, {
    close: async () => {
      server.close();
      await db.close();
    },
  }),
);
