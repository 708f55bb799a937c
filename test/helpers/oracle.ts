/**
 * The visibility oracle: random worlds from a seed, and what each viewer should read in them, written from
 * the contract (API.md) alone. Nothing here imports the gateway's policy (src/auth): the point is a second,
 * independent reading of the same rules, so a mistake has to be made twice to go unnoticed.
 *
 * Where API.md is silent the oracle follows the schema's own descriptions (schema.graphql): member lists and
 * join requests oldest first, memberships newest first, group names compared without case. Two choices are
 * the gateway's, stated here so a mismatch is easy to judge: ties in a sort are broken by id in the direction
 * of the last sort key, and a cursor means "after this row's position" whoever's list it came from.
 */
import type { Db } from '../../src/db/client.ts';

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same world on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** A random subset, in the original order. */
  subset<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.chance(p));
  }
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
  id(prefix: string): string {
    let text = prefix;
    for (let i = 0; i < 8; i++) text += '0123456789abcdefghijklmnopqrstuvwxyz'[this.int(0, 35)];
    return text;
  }
}

export type Privacy = 'PUBLIC' | 'PRIVATE' | 'SECRET';
export type Role = 'MEMBER' | 'ADMIN';
export type Status = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CANCELED';
export const PRIVACIES: Privacy[] = ['PUBLIC', 'PRIVATE', 'SECRET'];
export const STATUSES: Status[] = ['PENDING', 'APPROVED', 'REJECTED', 'CANCELED'];

export interface WorldMember {
  id: string;
  memberId: string;
  role: Role;
  joinedAt: Date;
}
export interface WorldRequest {
  id: string;
  memberId: string;
  status: Status;
  createdAt: Date;
}
export interface WorldGroup {
  id: string;
  slug: string;
  name: string;
  privacy: Privacy;
  membersCanApprove: boolean;
  membersCanInvite: boolean;
  showMemberList: boolean;
  createdAt: Date;
  recentActivityAt: Date;
  /** Oldest first. */
  members: WorldMember[];
  /** Oldest first. */
  requests: WorldRequest[];
  rules: string[];
  questions: { text: string; required: boolean }[];
}
export interface World {
  seed: number;
  groups: WorldGroup[];
  /** Site members who may hold memberships and requests. */
  people: string[];
  /** The Groups Manager's member id (sometimes also a member of a few groups). */
  managerId: string;
}

/** Who reads: anonymous, or a site member (who may be a Groups Manager). */
export type OracleViewer = { memberId: null; manager: false } | { memberId: string; manager: boolean };
export const ANONYMOUS: OracleViewer = { memberId: null, manager: false };

const WORDS = ['Yoga', 'yoga', 'Chess', 'Running', 'Book', 'club', 'Art', 'ART', 'Garden', 'Zen'];
const BASE_TIME = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

/**
 * A random world: 3-8 groups of random privacy and settings, names from a small vocabulary (so names,
 * searches and sort values collide), times on a coarse grid (so sorts tie), memberships with roles (every
 * group with members keeps an admin, membersCount matches), join requests of every status (pending only
 * for non-members), rules and questions.
 */
export function generateWorld(seed: number): World {
  const rng = new Rng(seed);
  const people = Array.from({ length: rng.int(2, 5) }, (_, i) => `u${i}`);
  const managerId = 'mgr';
  const joiners = rng.chance(0.5) ? [...people, managerId] : people;
  let clock = 0; // a distinct instant for every membership and request, so "oldest first" is total
  const groups: WorldGroup[] = [];
  const count = rng.int(3, 8);
  for (let i = 0; i < count; i++) {
    const createdMinute = rng.int(0, 6);
    const name = Array.from({ length: rng.int(1, 2) }, () => rng.pick(WORDS)).join(' ');
    const group: WorldGroup = {
      id: rng.id('g'),
      slug: `${name.toLowerCase().replace(/\s+/g, '-')}-${i}`,
      name,
      privacy: rng.pick(PRIVACIES),
      membersCanApprove: rng.chance(0.3),
      membersCanInvite: rng.chance(0.3),
      showMemberList: rng.chance(0.7),
      createdAt: new Date(BASE_TIME + createdMinute * MINUTE),
      recentActivityAt: new Date(BASE_TIME + (createdMinute + rng.int(0, 6)) * MINUTE),
      members: [],
      requests: [],
      rules: rng.subset(['Be kind', 'No spam'], 0.4),
      questions: rng.subset([{ text: 'Why join?', required: true }, { text: 'Where from?', required: false }], 0.3),
    };
    const memberIds = rng.chance(0.15) ? [] : rng.subset(joiners, 0.45);
    const adminCount = memberIds.length ? rng.int(1, Math.min(2, memberIds.length)) : 0;
    const admins = new Set(rng.shuffle(memberIds).slice(0, adminCount));
    for (const memberId of rng.shuffle(memberIds)) {
      group.members.push({ id: rng.id('m'), memberId, role: admins.has(memberId) ? 'ADMIN' : 'MEMBER', joinedAt: instant(++clock) });
    }
    for (const memberId of joiners) {
      if (!rng.chance(0.3)) continue;
      const member = memberIds.includes(memberId);
      const status: Status = member ? rng.pick(['APPROVED', 'REJECTED', 'CANCELED'] as const) : rng.pick(STATUSES.filter((s) => s !== 'APPROVED'));
      group.requests.push({ id: rng.id('r'), memberId, status, createdAt: instant(++clock) });
      if (!member && status !== 'PENDING' && rng.chance(0.3)) {
        group.requests.push({ id: rng.id('r'), memberId, status: 'PENDING', createdAt: instant(++clock) });
      }
    }
    groups.push(group);
  }
  return { seed, groups, people, managerId };
}

const instant = (tick: number) => new Date(BASE_TIME + 30 * 24 * 60 * MINUTE + tick * 1000);

/** Replaces the database's content with the world, straight through Prisma (no events, no API calls). */
export async function writeWorld(db: Db, world: World) {
  await db.$transaction([
    db.groupEvent.deleteMany(),
    db.createRequest.deleteMany(),
    db.joinRequestAnswer.deleteMany(),
    db.joinRequest.deleteMany(),
    db.groupMember.deleteMany(),
    db.groupRule.deleteMany(),
    db.membershipQuestion.deleteMany(),
    db.group.deleteMany(),
    db.group.createMany({
      data: world.groups.map((g) => ({
        id: g.id,
        slug: g.slug,
        name: g.name,
        nameSearch: g.name.toLowerCase(),
        privacy: g.privacy,
        createdBy: g.members.find((m) => m.role === 'ADMIN')?.memberId ?? null,
        createdAt: g.createdAt,
        updatedAt: g.createdAt,
        recentActivityAt: g.recentActivityAt,
        membersCount: g.members.length,
        membersCanApprove: g.membersCanApprove,
        membersCanInvite: g.membersCanInvite,
        showMemberList: g.showMemberList,
      })),
    }),
    db.groupMember.createMany({
      data: world.groups.flatMap((g) => g.members.map((m) => ({ ...m, groupId: g.id }))),
    }),
    db.joinRequest.createMany({
      data: world.groups.flatMap((g) =>
        g.requests.map((r) => ({
          ...r,
          groupId: g.id,
          pendingKey: r.status === 'PENDING' ? `${g.id}:${r.memberId}` : null,
          decidedAt: r.status === 'PENDING' ? null : r.createdAt,
          decidedBy: r.status === 'PENDING' ? null : r.status === 'CANCELED' ? r.memberId : g.members[0]?.memberId ?? null,
        })),
      ),
    }),
    db.groupRule.createMany({
      data: world.groups.flatMap((g) =>
        g.rules.map((title, position) => ({ id: `${g.id}-rule${position}`, groupId: g.id, position, title, description: `${title}, please.` })),
      ),
    }),
    db.membershipQuestion.createMany({
      data: world.groups.flatMap((g) =>
        g.questions.map((q, position) => ({ id: `${g.id}-q${position}`, groupId: g.id, position, ...q })),
      ),
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// The rules of API.md, one function each.

/** The viewer's role in a group, null when not a member. */
export function roleOf(viewer: OracleViewer, group: WorldGroup): Role | null {
  return group.members.find((m) => m.memberId === viewer.memberId)?.role ?? null;
}

/** "listed in groups, readable by group/groupBySlug": PUBLIC and PRIVATE for everyone; SECRET for its members and managers. */
export function sees(viewer: OracleViewer, group: WorldGroup): boolean {
  return group.privacy !== 'SECRET' || viewer.manager || roleOf(viewer, group) !== null;
}

/** "content: members, joinRequests, events": PUBLIC for everyone; otherwise its members and managers. */
export function seesContent(viewer: OracleViewer, group: WorldGroup): boolean {
  return group.privacy === 'PUBLIC' || viewer.manager || roleOf(viewer, group) !== null;
}

/** `members`: the content rule, and `showMemberList = false` hides it from all but admins and managers. */
export function readsMembers(viewer: OracleViewer, group: WorldGroup): boolean {
  if (viewer.manager || roleOf(viewer, group) === 'ADMIN') return true;
  return group.showMemberList && seesContent(viewer, group);
}

/** `joinRequests`: those who may decide them (admins, managers, members when membersCanApprove). */
export function decidesRequests(viewer: OracleViewer, group: WorldGroup): boolean {
  const role = roleOf(viewer, group);
  return viewer.manager || role === 'ADMIN' || (role === 'MEMBER' && group.membersCanApprove);
}

export interface Permissions {
  view: boolean;
  viewContent: boolean;
  viewMembers: boolean;
  join: boolean;
  requestToJoin: boolean;
  leave: boolean;
  addMembers: boolean;
  removeMembers: boolean;
  approveJoinRequests: boolean;
  assignRoles: boolean;
  update: boolean;
  delete: boolean;
}

/** `viewerCan`, from the rules of each operation. */
export function permissions(viewer: OracleViewer, group: WorldGroup): Permissions {
  const role = roleOf(viewer, group);
  const admin = viewer.manager || role === 'ADMIN';
  const pending = group.requests.some((r) => r.memberId === viewer.memberId && r.status === 'PENDING');
  // joinGroup: PUBLIC joins, PRIVATE asks; already a member or already pending is CONFLICT.
  const mayJoin = viewer.memberId !== null && role === null && !pending;
  return {
    view: sees(viewer, group),
    viewContent: seesContent(viewer, group),
    // The same answer as the members field (readsMembers): the oracle reads both.
    viewMembers: readsMembers(viewer, group),
    join: mayJoin && group.privacy === 'PUBLIC',
    requestToJoin: mayJoin && group.privacy === 'PRIVATE',
    // leaveGroup: any member but the group's only admin (a group always keeps an admin).
    leave: role !== null && !(role === 'ADMIN' && group.members.filter((m) => m.role === 'ADMIN').length === 1),
    // addGroupMembers: SECRET any member; PUBLIC/PRIVATE admins, members when membersCanInvite; managers.
    addMembers: admin || (role === 'MEMBER' && (group.privacy === 'SECRET' || group.membersCanInvite)),
    removeMembers: admin,
    approveJoinRequests: decidesRequests(viewer, group),
    assignRoles: admin,
    update: admin,
    delete: admin,
  };
}

export type SortField = 'NAME' | 'CREATED_AT' | 'MEMBERS_COUNT' | 'RECENT_ACTIVITY';
export type Order = 'ASC' | 'DESC';
export const SORT_FIELDS: SortField[] = ['NAME', 'CREATED_AT', 'MEMBERS_COUNT', 'RECENT_ACTIVITY'];
export interface ListArgs {
  filter?: { privacy?: Privacy[]; search?: string; memberId?: string };
  sort?: { field: SortField; order: Order }[];
}

const SORT_VALUE: Record<SortField, (g: WorldGroup) => string | number> = {
  NAME: (g) => g.name.toLowerCase(),
  CREATED_AT: (g) => g.createdAt.getTime(),
  MEMBERS_COUNT: (g) => g.members.length,
  RECENT_ACTIVITY: (g) => g.recentActivityAt.getTime(),
};

/** The total order of a sort over every group (ties by id, in the last key's direction). */
export function compareBy(sort: NonNullable<ListArgs['sort']>): (a: WorldGroup, b: WorldGroup) => number {
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  const keys = sort.filter((key, i) => sort.findIndex((k) => k.field === key.field) === i);
  return (a, b) => {
    for (const key of keys) {
      const c = cmp(SORT_VALUE[key.field](a), SORT_VALUE[key.field](b));
      if (c) return key.order === 'ASC' ? c : -c;
    }
    return (keys[keys.length - 1].order === 'ASC' ? 1 : -1) * cmp(a.id, b.id);
  };
}

/** `groups(filter, sort)`: what the viewer may see, filtered, and sorted when a sort is given. */
export function listGroups(viewer: OracleViewer, world: World, args: ListArgs): WorldGroup[] {
  const { privacy, search, memberId } = args.filter ?? {};
  const rows = world.groups.filter(
    (g) =>
      sees(viewer, g) &&
      // An empty privacy list matches no group; an absent one, every level.
      (privacy === undefined || privacy.includes(g.privacy)) &&
      (!search || g.name.toLowerCase().includes(search.toLowerCase())) &&
      // "groups that member belongs to, limited to groups whose member list the viewer may read"; all of them
      // for the member themselves and Groups Managers, who may list that member's memberships anyway.
      (!memberId || (g.members.some((m) => m.memberId === memberId) && (viewer.manager || viewer.memberId === memberId || readsMembers(viewer, g)))),
  );
  return args.sort?.length ? rows.sort(compareBy(args.sort)) : rows;
}

/** `memberships(memberId)` / `viewer.memberships`: that member's memberships in groups the viewer sees, newest first. */
export function membershipsOf(viewer: OracleViewer, world: World, memberId: string) {
  return world.groups
    .filter((g) => sees(viewer, g))
    .flatMap((g) => g.members.filter((m) => m.memberId === memberId).map((m) => ({ groupId: g.id, ...m })))
    .sort((a, b) => b.joinedAt.getTime() - a.joinedAt.getTime());
}

/**
 * The viewers of a world: anonymous, an outsider, two of its people (each a plain member, an admin, a
 * requester or an outsider, group by group), and the manager.
 */
export function viewersOf(world: World): { name: string; viewer: OracleViewer }[] {
  const people = new Rng(world.seed ^ 0x7e1).shuffle(world.people).slice(0, 2);
  return [
    { name: 'anonymous', viewer: ANONYMOUS },
    { name: 'outsider', viewer: { memberId: 'outsider', manager: false } },
    ...people.map((id) => ({ name: id, viewer: { memberId: id, manager: false } })),
    { name: 'manager', viewer: { memberId: world.managerId, manager: true } },
  ];
}
