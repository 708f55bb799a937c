/**
 * Reading groups: who sees which group through `group`, `groupBySlug` and `groups`; the list's filters, sorts,
 * paging and errors; and the viewer-relative fields of a Group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { addMembers, admin, anonymous, createGroup, manager, member, outsider, threeGroups, type GroupHandle, type Privacy } from './helpers/world.ts';

const VIEWERS = { anonymous, outsider, member, admin, manager } satisfies Record<string, ViewerSpec>;
type ViewerName = keyof typeof VIEWERS;
const PRIVACIES = ['PUBLIC', 'PRIVATE', 'SECRET'] as const;
/** Who may know a group of each privacy exists, in the world of `threeGroups` (admin and member in each). */
const SEES: Record<ViewerName, Privacy[]> = {
  anonymous: ['PUBLIC', 'PRIVATE'],
  outsider: ['PUBLIC', 'PRIVATE'],
  member: [...PRIVACIES],
  admin: [...PRIVACIES],
  manager: [...PRIVACIES],
};

describe('one group of each privacy', () => {
  let gw: TestGateway;
  let groups: Record<Privacy, GroupHandle>;
  beforeAll(async () => {
    gw = await startGateway();
    groups = await threeGroups(gw);
    for (const privacy of PRIVACIES) {
      const id = groups[privacy].id;
      ok(await gw.as(admin)(`mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "Be kind", description: "No spam." }]) { id } }`, { id }));
      ok(await gw.as(admin)(`mutation($id: ID!) { setMembershipQuestions(groupId: $id, questions: [{ text: "Why join?", required: true }]) { id } }`, { id }));
    }
  });
  afterAll(() => gw.close());

  it.each(Object.keys(VIEWERS) as ViewerName[])('group and groupBySlug show %s exactly the groups they may see', async (who) => {
    for (const privacy of PRIVACIES) {
      const { id, slug, name } = groups[privacy];
      const expected = SEES[who].includes(privacy) ? { id, slug, name, privacy } : null;
      const byId = await gw.as(VIEWERS[who])(`query($id: ID!) { group(id: $id) { id slug name privacy } }`, { id });
      const bySlug = await gw.as(VIEWERS[who])(`query($s: String!) { groupBySlug(slug: $s) { id slug name privacy } }`, { s: slug });
      expect(byId).toEqual({ status: 200, data: { group: expected } });
      expect(bySlug).toEqual({ status: 200, data: { groupBySlug: expected } });
    }
  });

  // Relay refetches through node(id:): the same groups as group(id:), hidden ones null with nothing else said.
  it.each(Object.keys(VIEWERS) as ViewerName[])('node and nodes show %s exactly the groups they may see', async (who) => {
    const ids = PRIVACIES.map((privacy) => groups[privacy].id);
    const expected = PRIVACIES.map((privacy) =>
      SEES[who].includes(privacy) ? { __typename: 'Group', id: groups[privacy].id, name: groups[privacy].name, viewerCan: { view: true } } : null,
    );
    const node = `query($id: ID!) { node(id: $id) { __typename id ... on Group { name viewerCan { view } } } }`;
    for (const [i, id] of ids.entries()) expect(await gw.as(VIEWERS[who])(node, { id })).toEqual({ status: 200, data: { node: expected[i] } });
    const nodes = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Group { name viewerCan { view } } } }`;
    // In the order asked, an unknown id and a repeated one included.
    const asked = [...ids, 'no-such-group', ids[2]];
    expect(await gw.as(VIEWERS[who])(nodes, { ids: asked })).toEqual({ status: 200, data: { nodes: [...expected, null, expected[2]] } });
  });

  it('nodes takes at most 100 ids', async () => {
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    expect(ok(await gw.as(member)(query, { ids: Array.from({ length: 100 }, (_, i) => `g${i}`) })).nodes).toHaveLength(100);
    const refused = await gw.as(member)(query, { ids: Array.from({ length: 101 }, (_, i) => `g${i}`) });
    expect(refused.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', '"ids" must hold at most 100 ids.']]);
  });

  it.each(Object.keys(VIEWERS) as ViewerName[])('groups lists and counts for %s only the groups they may see', async (who) => {
    const data = ok(await gw.as(VIEWERS[who])(`{ groups { totalCount edges { node { id } } pageInfo { hasNextPage } } }`));
    const expected = [...SEES[who]].reverse().map((p) => groups[p].id); // newest first by default
    expect(data.groups).toEqual({
      totalCount: expected.length,
      edges: expected.map((id) => ({ node: { id } })),
      pageInfo: { hasNextPage: false },
    });
  });

  it('the privacy filter never reveals a secret group to an outsider', async () => {
    const list = async (viewer: ViewerSpec, privacy: Privacy[]) =>
      ok(await gw.as(viewer)(`query($p: [GroupPrivacy!]) { groups(filter: { privacy: $p }) { totalCount edges { node { id } } } }`, { p: privacy })).groups;
    expect(await list(outsider, ['SECRET'])).toEqual({ totalCount: 0, edges: [] });
    expect(await list(anonymous, ['SECRET', 'PRIVATE'])).toEqual({ totalCount: 1, edges: [{ node: { id: groups.PRIVATE.id } }] });
    expect(await list(member, ['SECRET'])).toEqual({ totalCount: 1, edges: [{ node: { id: groups.SECRET.id } }] });
  });

  it('settings have their defaults; rules and questions are shown to whoever sees the group', async () => {
    const query = `query($id: ID!) { group(id: $id) { settings { membersCanApprove membersCanInvite showMemberList } rules { title description } questions { text required } } }`;
    for (const who of Object.keys(VIEWERS) as ViewerName[]) {
      for (const privacy of SEES[who]) {
        expect(ok(await gw.as(VIEWERS[who])(query, { id: groups[privacy].id })).group).toEqual({
          settings: { membersCanApprove: false, membersCanInvite: false, showMemberList: true },
          rules: [{ title: 'Be kind', description: 'No spam.' }],
          questions: [{ text: 'Why join?', required: true }],
        });
      }
    }
  });

  it('viewerRole is the viewer’s own role, null for non-members', async () => {
    const roles: Record<ViewerName, string | null> = { anonymous: null, outsider: null, member: 'MEMBER', admin: 'ADMIN', manager: null };
    for (const who of Object.keys(VIEWERS) as ViewerName[]) {
      for (const privacy of SEES[who]) {
        const data = ok(await gw.as(VIEWERS[who])(`query($id: ID!) { group(id: $id) { viewerRole } }`, { id: groups[privacy].id }));
        expect(data.group.viewerRole).toBe(roles[who]);
      }
    }
  });

  it('viewerCan answers for every viewer kind and privacy', async () => {
    const none = { view: true, viewContent: false, viewMembers: false, join: false, requestToJoin: false, leave: false, addMembers: false, removeMembers: false, approveJoinRequests: false, assignRoles: false, update: false, delete: false };
    const manage = { ...none, viewContent: true, viewMembers: true, addMembers: true, removeMembers: true, approveJoinRequests: true, assignRoles: true, update: true, delete: true };
    const expected: Record<ViewerName, Partial<Record<Privacy, typeof none>>> = {
      anonymous: { PUBLIC: { ...none, viewContent: true, viewMembers: true }, PRIVATE: none },
      outsider: { PUBLIC: { ...none, viewContent: true, viewMembers: true, join: true }, PRIVATE: { ...none, requestToJoin: true } },
      member: {
        PUBLIC: { ...none, viewContent: true, viewMembers: true, leave: true },
        PRIVATE: { ...none, viewContent: true, viewMembers: true, leave: true },
        SECRET: { ...none, viewContent: true, viewMembers: true, leave: true, addMembers: true },
      },
      // The groups' only admin may not leave (a group always keeps an admin).
      admin: { PUBLIC: manage, PRIVATE: manage, SECRET: manage },
      manager: { PUBLIC: { ...manage, join: true }, PRIVATE: { ...manage, requestToJoin: true }, SECRET: manage },
    };
    const fields = Object.keys(none).join(' ');
    for (const who of Object.keys(VIEWERS) as ViewerName[]) {
      for (const privacy of SEES[who]) {
        const data = ok(await gw.as(VIEWERS[who])(`query($id: ID!) { group(id: $id) { viewerCan { ${fields} } } }`, { id: groups[privacy].id }));
        expect({ who, privacy, can: data.group.viewerCan }).toEqual({ who, privacy, can: expected[who][privacy] });
      }
    }
  });

  it('members of a PRIVATE group fail alone with FORBIDDEN for non-members; the group still resolves', async () => {
    const { id, name } = groups.PRIVATE;
    const query = `query($id: ID!) { group(id: $id) { id name membersCount viewerCan { viewContent } members(first: 5) { totalCount } } }`;
    for (const viewer of [anonymous, outsider]) {
      const response = await gw.as(viewer)(query, { id });
      expect(response.data).toEqual({ group: { id, name, membersCount: 2, viewerCan: { viewContent: false }, members: null } });
      expect(codes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors![0].path).toEqual(['group', 'members']);
    }
    const members = `query($id: ID!) { group(id: $id) { members(first: 5) { totalCount edges { node { memberId role } } } } }`;
    const expected = { totalCount: 2, edges: [{ node: { memberId: 'admin', role: 'ADMIN' } }, { node: { memberId: 'member', role: 'MEMBER' } }] };
    expect(ok(await gw.as(member)(members, { id })).group.members).toEqual(expected);
    expect(ok(await gw.as(manager)(members, { id })).group.members).toEqual(expected);
    expect(ok(await gw.as(outsider)(members, { id: groups.PUBLIC.id })).group.members).toEqual(expected);
  });
});

describe('viewerCan.viewMembers', () => {
  let gw: TestGateway;
  afterAll(() => gw?.close());

  // Every viewer kind and privacy, with the member list shown and hidden: the flag says beforehand what the
  // members field then does (a connection, or null with FORBIDDEN).
  it('says whether members resolves, with the member list shown or hidden', async () => {
    gw = await startGateway();
    const shown = await threeGroups(gw);
    const hidden = {} as Record<Privacy, GroupHandle>;
    for (const privacy of PRIVACIES) {
      hidden[privacy] = await createGroup(gw, { name: `quiet ${privacy.toLowerCase()}`, privacy, settings: { showMemberList: false } });
      await addMembers(gw, hidden[privacy].id, ['member']);
    }
    const query = `query($id: ID!) { group(id: $id) { viewerCan { viewContent viewMembers } members(first: 5) { totalCount } } }`;
    const seen: string[] = [];
    for (const who of Object.keys(VIEWERS) as ViewerName[]) {
      for (const privacy of SEES[who]) {
        for (const [list, groups] of [['shown', shown], ['hidden', hidden]] as const) {
          const response = await gw.as(VIEWERS[who])(query, { id: groups[privacy].id });
          const { viewContent, viewMembers } = response.data.group.viewerCan;
          const reads = response.data.group.members !== null;
          expect({ who, privacy, list, viewMembers, codes: codes(response) }).toEqual({
            who, privacy, list, viewMembers: reads, codes: reads ? [] : ['FORBIDDEN'],
          });
          // A hidden list narrows the content rule to admins and managers; a shown one is the content rule.
          const expected = list === 'shown' ? viewContent : who === 'admin' || who === 'manager';
          expect({ who, privacy, list, viewMembers }).toEqual({ who, privacy, list, viewMembers: expected });
          if (viewMembers) seen.push(`${who}/${privacy}/${list}`);
        }
      }
    }
    // Both answers occur for a plain member: the flag is not constant.
    expect(seen).toContain('member/PRIVATE/shown');
    expect(seen).not.toContain('member/PRIVATE/hidden');
  });
});

/** A group as the manager reads it, with every value a sort can use. */
interface Row { id: string; name: string; privacy: Privacy; membersCount: number; createdAt: string; recentActivityAt: string }
const SORTS = ['NAME', 'CREATED_AT', 'MEMBERS_COUNT', 'RECENT_ACTIVITY'] as const;
const ORDERS = ['ASC', 'DESC'] as const;
const sortValue: Record<(typeof SORTS)[number], (r: Row) => string | number> = {
  NAME: (r) => r.name.toLowerCase(),
  CREATED_AT: (r) => r.createdAt,
  MEMBERS_COUNT: (r) => r.membersCount,
  RECENT_ACTIVITY: (r) => r.recentActivityAt,
};
/** The contract's order: the sort value, then the id, both in the given order. */
function sorted(rows: Row[], field: (typeof SORTS)[number], order: 'ASC' | 'DESC'): string[] {
  const sign = order === 'ASC' ? 1 : -1;
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort((a, b) => sign * (cmp(sortValue[field](a), sortValue[field](b)) || cmp(a.id, b.id))).map((r) => r.id);
}

const LIST = `query($f: GroupFilter, $s: [GroupSort!], $first: Int, $after: String, $last: Int, $before: String, $offset: Int) {
  groups(filter: $f, sort: $s, first: $first, after: $after, last: $last, before: $before, offset: $offset) {
    totalCount edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

describe('filtering, sorting and paging the list', () => {
  let gw: TestGateway;
  let all: Row[];
  const list = (viewer: ViewerSpec, vars: Record<string, unknown>) => gw.as(viewer)(LIST, vars);
  const names = async (viewer: ViewerSpec, filter: object) =>
    ok(await list(viewer, { f: filter, s: [{ field: 'NAME', order: 'ASC' }], first: 100 })).groups.edges.map((e: any) => e.node.name);
  /** The rows each viewer may see: `member` belongs to Book club, Secret yoga and Art; nobody but admin to Hidden. */
  const visible = (who: 'outsider' | 'member') =>
    all.filter((r) => r.privacy !== 'SECRET' || (who === 'member' && r.name === 'Secret yoga'));

  beforeAll(async () => {
    gw = await startGateway();
    const made: Record<string, GroupHandle> = {};
    const specs: [string, Privacy][] = [
      ['Yoga class', 'PUBLIC'], ['yoga CLASS', 'PUBLIC'], ['Book club', 'PRIVATE'], ['Chess', 'PUBLIC'],
      ['Secret yoga', 'SECRET'], ['Hidden', 'SECRET'], ['Running', 'PRIVATE'], ['Art', 'PUBLIC'],
      ['Same', 'PUBLIC'], ['Same', 'PUBLIC'], ['Zen', 'PRIVATE'],
    ];
    for (const [name, privacy] of specs) made[name] = await createGroup(gw, { name, privacy });
    // Later activity on early groups, so RECENT_ACTIVITY orders differently from CREATED_AT; equal counts tie.
    await addMembers(gw, made['Art'].id, ['member', 'm1', 'm2', 'm3']);
    await addMembers(gw, made['Yoga class'].id, ['m1', 'm2']);
    await addMembers(gw, made['Book club'].id, ['member']);
    await addMembers(gw, made['Secret yoga'].id, ['member']);
    await addMembers(gw, made['Running'].id, ['m1']);
    const rows = ok(await gw.as(manager)(`{ groups(first: 100) { edges { node { id name privacy membersCount createdAt recentActivityAt } } } }`));
    all = rows.groups.edges.map((e: { node: Row }) => e.node);
    expect(all).toHaveLength(specs.length);
  });
  afterAll(() => gw.close());

  it('search is case-insensitive and trimmed, and never matches a hidden group', async () => {
    expect(await names(outsider, { search: 'YOGA' })).toEqual(expect.arrayContaining(['Yoga class', 'yoga CLASS']));
    expect(await names(outsider, { search: '  yoga ' })).toHaveLength(2);
    expect(await names(member, { search: 'YOGA' })).toEqual(['Secret yoga', ...(await names(outsider, { search: 'yoga' }))]);
    expect(await names(anonymous, { search: 'hidden' })).toEqual([]);
    expect(await names(manager, { search: 'hidden' })).toEqual(['Hidden']);
  });

  // `contains` is SQL LIKE without an escape: `%` and `_` would act as wildcards and match every group, had
  // domain/search.ts not mapped them away in both the stored name and the term.
  it('search matches % and _ literally', async () => {
    expect(await names(manager, { search: '%' })).toEqual([]);
    expect(await names(manager, { search: '_' })).toEqual([]);
  });

  it('privacy lists the levels to keep: absent or null keeps all, an empty list keeps none', async () => {
    const count = async (viewer: ViewerSpec, f: object | null) => ok(await list(viewer, { f, first: 100 })).groups.totalCount;
    const levels = (rows: Row[], kept: Privacy[]) => rows.filter((r) => kept.includes(r.privacy)).length;
    expect(await count(outsider, null)).toBe(visible('outsider').length);
    expect(await count(outsider, { privacy: null })).toBe(visible('outsider').length);
    expect(await count(outsider, { privacy: ['PUBLIC', 'PRIVATE', 'SECRET'] })).toBe(visible('outsider').length);
    expect(await count(member, { privacy: ['PRIVATE', 'PUBLIC'] })).toBe(levels(visible('member'), ['PRIVATE', 'PUBLIC']));
    for (const viewer of [anonymous, outsider, member, manager]) {
      expect(ok(await list(viewer, { f: { privacy: [] }, first: 100 })).groups).toEqual({
        totalCount: 0,
        edges: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    }
  });

  it('memberId lists that member’s groups among those whose member list the viewer may read', async () => {
    expect(await names(anonymous, { memberId: 'member' })).toEqual(['Art']);
    expect(await names(outsider, { memberId: 'member' })).toEqual(['Art']);
    expect(await names(member, { memberId: 'member' })).toEqual(['Art', 'Book club', 'Secret yoga']);
    expect(await names(manager, { memberId: 'member' })).toEqual(['Art', 'Book club', 'Secret yoga']);
    expect(await names(member, { memberId: 'm1' })).toEqual(['Art', 'Yoga class']);
    expect(await names(manager, { memberId: 'm1' })).toEqual(['Art', 'Running', 'Yoga class']);
    expect(await names(outsider, { privacy: ['PRIVATE'], memberId: 'm1' })).toEqual([]);
  });

  it('names sort case-insensitively, and equal names are ordered by id', async () => {
    const byName = (order: 'ASC' | 'DESC') => list(member, { s: [{ field: 'NAME', order }], first: 100 }).then((r) => ok(r).groups.edges.map((e: any) => e.node));
    const asc = await byName('ASC');
    expect(asc.map((n: Row) => n.name.toLowerCase())).toEqual(
      ['art', 'book club', 'chess', 'running', 'same', 'same', 'secret yoga', 'yoga class', 'yoga class', 'zen'],
    );
    const sames = all.filter((r) => r.name === 'Same').map((r) => r.id).sort();
    expect(asc.filter((n: Row) => n.name === 'Same').map((n: Row) => n.id)).toEqual(sames);
    expect((await byName('DESC')).map((n: Row) => n.id)).toEqual(asc.map((n: Row) => n.id).reverse());
  });

  it('equal member counts are ordered by id in the sort’s direction', async () => {
    const ids = async (order: 'ASC' | 'DESC') =>
      ok(await list(outsider, { s: [{ field: 'MEMBERS_COUNT', order }], first: 100 })).groups.edges.map((e: any) => e.node.id);
    const ones = visible('outsider').filter((r) => r.membersCount === 1).map((r) => r.id).sort();
    expect(ones.length).toBeGreaterThan(2);
    expect((await ids('ASC')).slice(0, ones.length)).toEqual(ones);
    expect((await ids('DESC')).slice(-ones.length)).toEqual([...ones].reverse());
  });

  for (const who of ['outsider', 'member'] as const) {
    for (const field of SORTS) {
      for (const order of ORDERS) {
        it(`${who}: ${field} ${order} pages through every visible group once, in order`, async () => {
          const expected = sorted(visible(who), field, order);
          const seen: string[] = [];
          let after: string | null = null;
          for (let page = 0; page < 10; page++) {
            const data: any = ok(await list(VIEWERS[who], { s: [{ field, order }], first: 3, after }));
            expect(data.groups.totalCount).toBe(expected.length);
            seen.push(...data.groups.edges.map((e: any) => e.node.id));
            if (!data.groups.pageInfo.hasNextPage) break;
            after = data.groups.pageInfo.endCursor;
          }
          expect(seen).toEqual(expected);
        });
      }
    }
  }

  for (const who of ['outsider', 'member'] as const) {
    for (const field of SORTS) {
      for (const order of ORDERS) {
        it(`${who}: ${field} ${order} pages backward (last, before) through every visible group once, in order`, async () => {
          const expected = sorted(visible(who), field, order);
          const seen: string[] = [];
          let before: string | null = null;
          for (let page = 0; page < 10; page++) {
            const data: any = ok(await list(VIEWERS[who], { s: [{ field, order }], last: 3, before }));
            expect(data.groups.totalCount).toBe(expected.length);
            expect(data.groups.pageInfo.hasNextPage).toBe(false);
            // Each page in the list's own order, and the pages from the end towards the start.
            seen.unshift(...data.groups.edges.map((e: any) => e.node.id));
            if (!data.groups.pageInfo.hasPreviousPage) break;
            before = data.groups.pageInfo.startCursor;
          }
          expect(seen).toEqual(expected);
        });
      }
    }
  }

  it('offset skips rows, after the cursor when both are given; totalCount ignores the page', async () => {
    const expected = sorted(visible('member'), 'NAME', 'ASC');
    const s = [{ field: 'NAME', order: 'ASC' }];
    const page = ok(await list(member, { s, first: 3, offset: 2 })).groups;
    expect(page.edges.map((e: any) => e.node.id)).toEqual(expected.slice(2, 5));
    expect(page.totalCount).toBe(expected.length);
    const first = ok(await list(member, { s, first: 1 })).groups;
    const next = ok(await list(member, { s, first: 3, after: first.pageInfo.endCursor, offset: 2 })).groups;
    expect(next.edges.map((e: any) => e.node.id)).toEqual(expected.slice(3, 6));
    expect(next.totalCount).toBe(expected.length);
    const past = ok(await list(member, { s, first: 3, offset: 50 })).groups;
    expect(past).toMatchObject({ totalCount: expected.length, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('a bad cursor, first over 100, a negative first or offset are BAD_USER_INPUT', async () => {
    const dateCursor = ok(await list(member, { first: 1 })).groups.pageInfo.endCursor;
    for (const vars of [
      { after: 'not-a-cursor' },
      { after: Buffer.from('{"a":1}').toString('base64url') },
      { after: dateCursor, s: [{ field: 'MEMBERS_COUNT', order: 'ASC' }] },
      { first: 101 },
      { first: -1 },
      { offset: -1 },
      { last: 101 },
      { last: -1 },
      { before: 'not-a-cursor' },
      { before: dateCursor, s: [{ field: 'MEMBERS_COUNT', order: 'ASC' }] },
      { first: 1, last: 1 },
      { last: 1, offset: 1 },
    ]) {
      const response = await list(member, vars);
      expect({ vars, codes: codes(response), data: response.data }).toEqual({ vars, codes: ['BAD_USER_INPUT'], data: null });
    }
    expect(ok(await list(member, { first: 100 })).groups.edges).toHaveLength(visible('member').length);
    const message = async (vars: Record<string, unknown>) => (await list(member, vars)).errors?.map((e) => e.message);
    expect(await message({ first: 1, last: 1 })).toEqual(['Pass "first" or "last", not both: "first" pages forward, "last" backward.']);
    expect(await message({ last: 101 })).toEqual(['"last" must be between 0 and 100.']);
    expect(await message({ last: 1, offset: 1 })).toEqual(['"offset" skips rows from the start of a page: pass it with "first", not with "last".']);
    expect(await message({ before: 'x' })).toEqual(['The cursor is not valid for this list and sort. Start again without "before".']);
  });

  it('a cursor taken from a list holding a secret group never reveals it to an outsider', async () => {
    for (const field of SORTS) {
      const s = [{ field, order: 'ASC' }];
      const memberEdges = ok(await list(member, { s, first: 100 })).groups.edges;
      const outsiderOrder = sorted(visible('outsider'), field, 'ASC');
      const memberOrder = sorted(visible('member'), field, 'ASC');
      expect(memberEdges.map((e: any) => e.node.id)).toEqual(memberOrder);
      for (const [i, edge] of memberEdges.entries()) {
        const page = ok(await list(outsider, { s, first: 100, after: edge.cursor })).groups;
        // the outsider's rows strictly after the member's i-th row, in the outsider's own order
        const later = new Set(memberOrder.slice(i + 1));
        expect(page.edges.map((e: any) => e.node.id)).toEqual(outsiderOrder.filter((id) => later.has(id)));
        expect(page.totalCount).toBe(outsiderOrder.length);
        // and strictly before it, from either end of that window
        const earlier = outsiderOrder.filter((id) => memberOrder.slice(0, i).includes(id));
        for (const vars of [{ first: 100, before: edge.cursor }, { last: 100, before: edge.cursor }]) {
          const before = ok(await list(outsider, { s, ...vars })).groups;
          expect(before.edges.map((e: any) => e.node.id)).toEqual(earlier);
          expect(before.totalCount).toBe(outsiderOrder.length);
        }
      }
    }
  });
});

/**
 * Every paged list with a cursor of its own. A cursor carries its list and sort: one from another list or
 * sort (or from before cursors carried them), an empty one, or one whose text no database stores is
 * BAD_USER_INPUT with the same words, on every list, never an internal error (PostgreSQL refuses NUL).
 */
describe('names as search and sort compare them', () => {
  let gw: TestGateway;
  const LISTED = `query($f: GroupFilter, $s: [GroupSort!]) { groups(filter: $f, sort: $s, first: 100) { totalCount edges { node { name } } } }`;
  const names = async (filter: object, viewer: ViewerSpec = outsider) =>
    ok(await gw.as(viewer)(LISTED, { f: filter, s: [{ field: 'NAME', order: 'ASC' }] })).groups.edges.map((e: any) => e.node.name);

  beforeAll(async () => {
    gw = await startGateway();
    for (const name of ['José’s Café', 'Jose\u0301 Runners', 'Straße Walkers', 'ＹＯＧＡ Ｆｕｌｌ', 'Émile Book Club', 'Apple Pickers', 'Fox Trail', 'ΟΔΟΣ Dancers', 'Łódź Runners', 'Østerbro Swimmers']) {
      await createGroup(gw, { name, privacy: 'PUBLIC' });
    }
    await createGroup(gw, { name: 'Jöse Hidden', privacy: 'SECRET' });
  });
  afterAll(() => gw.close());

  it('search ignores accents, however typed, and case in any script', async () => {
    const jose = ['Jose\u0301 Runners', 'José’s Café']; // `jose runners` before `jose’s cafe`
    expect(await names({ search: 'jose' })).toEqual(jose);
    expect(await names({ search: 'JOSÉ' })).toEqual(jose);
    expect(await names({ search: 'jose\u0301' })).toEqual(jose);
    expect(await names({ search: 'cafe' })).toEqual(['José’s Café']);
    expect(await names({ search: 'emile' })).toEqual(['Émile Book Club']);
    // Case folding beyond lower case: ß is ss, and Greek's final sigma is its sigma.
    expect(await names({ search: 'STRASSE' })).toEqual(['Straße Walkers']);
    expect(await names({ search: 'straße' })).toEqual(['Straße Walkers']);
    expect(await names({ search: 'οδοσ' })).toEqual(['ΟΔΟΣ Dancers']);
    expect(await names({ search: 'Οδος' })).toEqual(['ΟΔΟΣ Dancers']);
    // Latin letters with no accent to strip are spelled in ASCII, as slugs spell them; other scripts are not.
    for (const search of ['lodz', 'LODZ', 'łódź', 'Łodz runners']) expect(await names({ search })).toEqual(['Łódź Runners']);
    for (const search of ['oster', 'ØSTERBRO', 'østerbro swim']) expect(await names({ search })).toEqual(['Østerbro Swimmers']);
    // Full-width letters are their plain forms.
    expect(await names({ search: 'yoga full' })).toEqual(['ＹＯＧＡ Ｆｕｌｌ']);
    expect(await names({ search: 'ＹＯＧＡ' })).toEqual(['ＹＯＧＡ Ｆｕｌｌ']);
    // A folded match is still a match only among the groups the viewer may see.
    expect(await names({ search: 'jöse' })).toEqual(jose);
    expect(await names({ search: 'jose h' })).toEqual([]);
    expect(await names({ search: 'jose h' }, manager)).toEqual(['Jöse Hidden']);
  });

  it('the NAME sort reads accented letters as their plain ones', async () => {
    expect(await names({})).toEqual([
      'Apple Pickers', 'Émile Book Club', 'Fox Trail', 'Jose\u0301 Runners', 'José’s Café', 'Łódź Runners', 'Østerbro Swimmers', 'Straße Walkers',
      'ＹＯＧＡ Ｆｕｌｌ', 'ΟΔΟΣ Dancers',
    ]);
  });
});

describe('cursors belong to their list and sort', () => {
  let gw: TestGateway;
  let groups: Record<Privacy, GroupHandle>;
  const CURSOR_MESSAGE = 'The cursor is not valid for this list and sort. Start again without "after".';
  const PAGE = 'edges { node { __typename } } pageInfo { hasNextPage endCursor }';

  /** Each list: who reads it, its document (the cursor as $c) and where its page is in the answer. */
  interface List { viewer: ViewerSpec; query: string; variables?: () => Record<string, unknown>; page: (data: any) => any }
  const LISTS: Record<string, List> = {
    groups: { viewer: member, query: `query($c: String) { groups(first: 1, after: $c) { ${PAGE} } }`, page: (d) => d.groups },
    members: {
      viewer: member,
      query: `query($id: ID!, $c: String) { group(id: $id) { members(first: 1, after: $c) { ${PAGE} } } }`,
      variables: () => ({ id: groups.PUBLIC.id }),
      page: (d) => d.group.members,
    },
    joinRequests: {
      viewer: admin,
      query: `query($id: ID!, $c: String) { group(id: $id) { joinRequests(first: 1, after: $c) { ${PAGE} } } }`,
      variables: () => ({ id: groups.PRIVATE.id }),
      page: (d) => d.group.joinRequests,
    },
    viewerMemberships: { viewer: member, query: `query($c: String) { viewer { memberships(first: 1, after: $c) { ${PAGE} } } }`, page: (d) => d.viewer.memberships },
    memberships: { viewer: member, query: `query($c: String) { memberships(memberId: "member", first: 1, after: $c) { ${PAGE} } }`, page: (d) => d.memberships },
    createRequests: { viewer: manager, query: `query($c: String) { createRequests(first: 1, after: $c) { ${PAGE} } }`, page: (d) => d.createRequests },
    viewerCreateRequests: { viewer: member, query: `query($c: String) { viewer { createRequests(first: 1, after: $c) { ${PAGE} } } }`, page: (d) => d.viewer.createRequests },
    joinRequestsToDecide: { viewer: admin, query: `query($c: String) { viewer { joinRequestsToDecide(first: 1, after: $c) { ${PAGE} } } }`, page: (d) => d.viewer.joinRequestsToDecide },
  };
  type ListName = keyof typeof LISTS;
  /** Lists that are one list read two ways (the same rows, the same order): their cursors are the same. */
  const SAME_LIST: ListName[][] = [['memberships', 'viewerMemberships'], ['createRequests', 'viewerCreateRequests']];
  const sameList = (a: ListName, b: ListName) => a === b || SAME_LIST.some((names) => names.includes(a) && names.includes(b));

  const read = (name: ListName, after: unknown) => gw.as(LISTS[name].viewer)(LISTS[name].query, { ...LISTS[name].variables?.(), c: after });
  /** The end cursor of each list's first page (each list has two rows or more). */
  const cursors = {} as Record<ListName, string>;
  /** A cursor of the same encoding with its values changed (its list and sort kept). */
  const decode = (cursor: string): unknown[] => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  const encode = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

  function expectRefused(response: Awaited<ReturnType<typeof read>>, context: unknown) {
    expect({ context, errors: response.errors?.map((e) => [e.extensions?.code, e.message]) }).toEqual({
      context,
      errors: [['BAD_USER_INPUT', CURSOR_MESSAGE]],
    });
  }

  beforeAll(async () => {
    gw = await startGateway();
    groups = await threeGroups(gw);
    await addMembers(gw, groups.PUBLIC.id, ['m1', 'm2']);
    for (const who of ['outsider', 'o2']) ok(await gw.as({ sub: who })(`mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { id } } }`, { g: groups.PRIVATE.id }));
    // The default policy (ADMIN_APPROVAL): a member's new group is a pending create request.
    for (const name of ['Knitting', 'Chess club']) {
      ok(await gw.as(member)(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`, { n: name }));
    }
    for (const name of Object.keys(LISTS) as ListName[]) {
      const page = LISTS[name].page(ok(await read(name, null)));
      expect({ name, hasNextPage: page.pageInfo.hasNextPage }).toEqual({ name, hasNextPage: true });
      cursors[name] = page.pageInfo.endCursor;
    }
  });
  afterAll(() => gw.close());

  it('each list’s cursor pages on in its own list (and in the same list read another way)', async () => {
    for (const name of Object.keys(LISTS) as ListName[]) {
      for (const from of Object.keys(LISTS) as ListName[]) {
        if (!sameList(name, from)) continue;
        const page = LISTS[name].page(ok(await read(name, cursors[from])));
        expect({ name, from, edges: page.edges.length }).toEqual({ name, from, edges: 1 });
      }
    }
  });

  it('a cursor from another list is BAD_USER_INPUT', async () => {
    for (const name of Object.keys(LISTS) as ListName[]) {
      for (const from of Object.keys(LISTS) as ListName[]) {
        if (!sameList(name, from)) expectRefused(await read(name, cursors[from]), { list: name, cursorOf: from });
      }
    }
  });

  it('a groups cursor is refused by another sort, and accepted by the same sort however written', async () => {
    const sorts = SORTS.flatMap((field) => ORDERS.map((order) => [{ field, order }]));
    sorts.push([{ field: 'NAME', order: 'ASC' }, { field: 'CREATED_AT', order: 'DESC' }]);
    const query = `query($s: [GroupSort!], $c: String) { groups(sort: $s, first: 1, after: $c) { ${PAGE} } }`;
    const made = new Map<string, string>();
    for (const s of sorts) made.set(JSON.stringify(s), ok(await gw.as(member)(query, { s })).groups.pageInfo.endCursor);
    for (const s of sorts) {
      for (const [from, cursor] of made) {
        const response = await gw.as(member)(query, { s, c: cursor });
        if (from === JSON.stringify(s)) expect(ok(response).groups.edges).toHaveLength(1);
        else expectRefused(response, { sort: s, cursorOf: from });
      }
    }
    // No sort is CREATED_AT DESC; a field named twice counts once: the same sort, the same cursors.
    const byDefault = ok(await gw.as(member)(query, {})).groups.pageInfo.endCursor;
    const createdDesc = [{ field: 'CREATED_AT', order: 'DESC' }];
    expect(ok(await gw.as(member)(query, { s: createdDesc, c: byDefault })).groups.edges).toHaveLength(1);
    const twice = [{ field: 'NAME', order: 'ASC' }, { field: 'NAME', order: 'DESC' }];
    expect(ok(await gw.as(member)(query, { s: twice, c: made.get(JSON.stringify([{ field: 'NAME', order: 'ASC' }])) })).groups.edges).toHaveLength(1);
  });

  it('an empty cursor is BAD_USER_INPUT on every list; a null one is the first page', async () => {
    for (const name of Object.keys(LISTS) as ListName[]) {
      expectRefused(await read(name, ''), { list: name, after: '' });
      expect(LISTS[name].page(ok(await read(name, null))).edges).toHaveLength(1);
    }
  });

  it('a cursor made before cursors named their list (its values alone) is BAD_USER_INPUT', async () => {
    for (const name of Object.keys(LISTS) as ListName[]) {
      expectRefused(await read(name, encode(decode(cursors[name]).slice(1))), { list: name });
    }
  });

  it('text no database stores, or too long, inside a cursor is BAD_USER_INPUT on every list, never an internal error', async () => {
    const texts = { nul: 'a\u0000b', 'lone surrogate': 'x\uD800y', 'overlong': 'h'.repeat(5_000) };
    for (const name of Object.keys(LISTS) as ListName[]) {
      const [tag, ...values] = decode(cursors[name]);
      for (const [what, text] of Object.entries(texts)) {
        // Each string value of the cursor in turn (the id; the date of a date-sorted list).
        for (const [i, value] of values.entries()) {
          if (typeof value !== 'string') continue;
          const changed = [tag, ...values.map((v, j) => (j === i ? text : v))];
          expectRefused(await read(name, encode(changed)), { list: name, what, at: i });
        }
      }
    }
    // The list sorted by name, with NUL in the name and in the id; and the audit's cursors of no list.
    const byName = `query($c: String) { groups(sort: [{ field: NAME, order: ASC }], after: $c) { ${PAGE} } }`;
    const [tag, nameValue, id] = decode(ok(await gw.as(member)(byName, {})).groups.pageInfo.endCursor);
    expect(typeof nameValue).toBe('string');
    for (const values of [[tag, 'a\u0000b', id], [tag, nameValue, 'a\u0000b'], [tag, 'x\uD800y', id], ['a\u0000b', 'x']]) {
      expectRefused(await gw.as(member)(byName, { c: encode(values) }), { values });
    }
    expectRefused(await read('createRequests', encode(['2026-01-01T00:00:00.000Z', 'a\u0000b'])), { list: 'createRequests' });
  });

  it('an anonymous viewer’s own lists (empty) refuse a bad cursor too', async () => {
    for (const field of ['memberships', 'createRequests']) {
      const query = `query($c: String) { viewer { ${field}(after: $c) { totalCount } } }`;
      expectRefused(await gw.as(anonymous)(query, { c: cursors.groups }), { field });
      expect(ok(await gw.as(anonymous)(query, { c: null })).viewer[field].totalCount).toBe(0);
    }
  });

  /** A list's document with the four paging arguments as variables, its page with every page info field. */
  const pagingQuery = (name: ListName) =>
    LISTS[name].query
      .replace('$c: String', '$first: Int, $after: String, $last: Int, $before: String')
      .replace('first: 1, after: $c', 'first: $first, after: $after, last: $last, before: $before')
      .replace(PAGE, 'edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }');
  const pageOf = async (name: ListName, args: Record<string, unknown>) =>
    LISTS[name].page(ok(await gw.as(LISTS[name].viewer)(pagingQuery(name), { ...LISTS[name].variables?.(), ...args })));
  const cursorsOf = (page: { edges: { cursor: string }[] }) => page.edges.map((e) => e.cursor);

  it('every list pages backward (last, before) through the rows it pages forward, in the same order', async () => {
    for (const name of Object.keys(LISTS) as ListName[]) {
      const all = cursorsOf(await pageOf(name, { first: 100 }));
      expect({ name, rows: all.length > 1 }).toEqual({ name, rows: true });
      const seen: string[] = [];
      let before: string | null = null;
      for (let i = 0; i <= all.length; i++) {
        const page = await pageOf(name, { last: 1, before });
        expect({ name, i, page }).toEqual({
          name,
          i,
          page: {
            edges: [{ cursor: all[all.length - 1 - i] }],
            pageInfo: { hasNextPage: false, hasPreviousPage: i < all.length - 1, startCursor: all[all.length - 1 - i], endCursor: all[all.length - 1 - i] },
          },
        });
        seen.unshift(...cursorsOf(page));
        if (!page.pageInfo.hasPreviousPage) break;
        before = page.pageInfo.startCursor;
      }
      expect({ name, seen }).toEqual({ name, seen: all });
      // Without a cursor, `last` is the end of the list; forward, hasPreviousPage is false (Relay's rule).
      expect({ name, page: await pageOf(name, { last: 2 }) }).toEqual({
        name,
        page: { edges: all.slice(-2).map((cursor) => ({ cursor })), pageInfo: { hasNextPage: false, hasPreviousPage: all.length > 2, startCursor: all.at(-2), endCursor: all.at(-1) } },
      });
      expect({ name, pageInfo: (await pageOf(name, { first: 1, after: all[0] })).pageInfo }).toEqual({
        name,
        pageInfo: { hasNextPage: all.length > 2, hasPreviousPage: false, startCursor: all[1], endCursor: all[1] },
      });
      // Between two cursors, from either end; `before` bounds a forward page's hasNextPage too.
      for (const sized of [{ first: 100 }, { last: 100 }, { first: all.length - 2 }, { last: all.length - 2 }]) {
        const page = await pageOf(name, { ...sized, after: all[0], before: all.at(-1) });
        expect({ name, sized, rows: cursorsOf(page), more: page.pageInfo.hasNextPage || page.pageInfo.hasPreviousPage }).toEqual({
          name,
          sized,
          rows: all.slice(1, -1),
          more: false,
        });
      }
      // `last: 0` asks only whether the window has rows, as `first: 0` does.
      expect({ name, pageInfo: (await pageOf(name, { last: 0 })).pageInfo }).toEqual({
        name,
        pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
      });
      expect({ name, pageInfo: (await pageOf(name, { last: 0, before: all[0] })).pageInfo }).toEqual({
        name,
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      });
    }
  });

  it('a bad or foreign `before`, `first` with `last`, and `last` out of range are BAD_USER_INPUT on every list', async () => {
    const BEFORE_MESSAGE = 'The cursor is not valid for this list and sort. Start again without "before".';
    for (const name of Object.keys(LISTS) as ListName[]) {
      const refusals: [Record<string, unknown>, string][] = [
        [{ last: 1, before: '' }, BEFORE_MESSAGE],
        [{ first: 1, before: 'nope' }, BEFORE_MESSAGE],
        [{ first: 1, last: 1 }, 'Pass "first" or "last", not both: "first" pages forward, "last" backward.'],
        [{ last: 101 }, '"last" must be between 0 and 100.'],
        [{ last: -1 }, '"last" must be between 0 and 100.'],
      ];
      for (const from of Object.keys(LISTS) as ListName[]) {
        if (!sameList(name, from)) refusals.push([{ last: 1, before: cursors[from] }, BEFORE_MESSAGE]);
      }
      for (const [args, message] of refusals) {
        const response = await gw.as(LISTS[name].viewer)(pagingQuery(name), { ...LISTS[name].variables?.(), ...args });
        expect({ name, args, errors: response.errors?.map((e) => [e.extensions?.code, e.message]) }).toEqual({
          name,
          args,
          errors: [['BAD_USER_INPUT', message]],
        });
      }
    }
    // Written in the document, `last` over the limit is refused with the document, as `first` is.
    const literal = await gw.as(member)(`{ groups(last: 1000) { totalCount } }`);
    expect(literal.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', '"last" must be between 0 and 100.']]);
  });
});
