/**
 * What the benchmark sends: the GraphQL documents of each scenario and, per request, who sends it with which
 * variables. Requests rotate over many viewers (so nothing is answered from one warm row) and the write mix
 * only issues writes that are valid when sent (a leave follows a join that succeeded, each pending request is
 * approved once).
 */
import { secretKey, signToken } from '../src/auth/viewer.ts';
import type { DatasetFacts } from './dataset.ts';

export const TYPENAME = '{ __typename }';
export const HELLO = '{ hello }';

export const POPULAR_GROUPS = `query PopularGroups {
  groups(first: 20, sort: [{ field: MEMBERS_COUNT, order: DESC }]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id slug name description privacy membersCount createdAt } }
  }
}`;

export const MY_GROUPS = `query MyGroups($me: ID!) {
  groups(first: 20, filter: { memberId: $me }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id slug name privacy membersCount viewerRole
      viewerCan { view viewContent join requestToJoin leave addMembers removeMembers approveJoinRequests assignRoles update delete }
      members(first: 5) { totalCount edges { node { memberId role joinedAt } } }
    } }
  }
}`;

export const GROUP_PAGE = `query GroupPage($slug: String!) {
  groupBySlug(slug: $slug) {
    id slug name description privacy membersCount createdAt viewerRole
    viewerCan { viewContent join requestToJoin leave addMembers approveJoinRequests update }
    settings { membersCanApprove membersCanInvite showMemberList }
    rules { id title description }
    questions { id text required }
    members(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { memberId role joinedAt } } }
  }
}`;

export const PENDING_REQUESTS = `query PendingRequests($groupId: ID!) {
  group(id: $groupId) {
    id name
    joinRequests(first: 10) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id memberId createdAt answers { question text } } }
    }
  }
}`;

export const MY_MEMBERSHIPS = `query MyMemberships {
  viewer {
    memberships(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { role joinedAt group { id slug name privacy membersCount } } }
    }
  }
}`;

export const JOIN = `mutation Join($groupId: ID!) { joinGroup(groupId: $groupId) { membership { role group { id membersCount viewerRole } } joinRequest { id } } }`;
export const LEAVE = `mutation Leave($groupId: ID!) { leaveGroup(groupId: $groupId) { groupId } }`;
export const APPROVE = `mutation Approve($groupId: ID!, $memberIds: [ID!]!) { approveJoinRequests(groupId: $groupId, memberIds: $memberIds) { id status memberId } }`;

export const LIVE_SUBSCRIPTION = `subscription Live { groupEvents { id type groupId memberId role occurredAt } }`;

/** Signs tokens once, up front (request setup is synchronous). */
export class Tokens {
  private readonly tokens = new Map<string, string>();
  private readonly key: Uint8Array;
  constructor(secret: string) {
    this.key = secretKey(secret);
  }
  async sign(memberIds: Iterable<string>) {
    for (const id of memberIds) {
      if (!this.tokens.has(id)) this.tokens.set(id, await signToken(this.key, { sub: id, expiresIn: '12h' }));
    }
  }
  get(memberId: string): string {
    const token = this.tokens.get(memberId);
    if (!token) throw new Error(`no token signed for ${memberId}`);
    return token;
  }
}

/** One request of a scenario: the body, and the viewer (null: anonymous). */
export interface Planned {
  body: string;
  memberId: string | null;
  /** Called with the response body (the write mix learns which joins succeeded). */
  onResponse?: (body: string) => void;
}

export interface Scenario {
  name: string;
  description: string;
  /** The baseline its ratio is taken against, if it has one. */
  baseline?: string;
  /** The viewers whose tokens it needs. */
  viewers: (facts: DatasetFacts) => string[];
  /** The next request to send. */
  next: (facts: DatasetFacts) => () => Planned;
}

const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });

const rotate = <T>(items: T[]) => {
  let i = 0;
  return () => items[i++ % items.length];
};

const myGroups = (facts: DatasetFacts) => {
  const viewer = rotate(facts.heavyMembers);
  return (): Planned => {
    const me = viewer();
    return { body: body(MY_GROUPS, { me }), memberId: me };
  };
};

const groupPage = (facts: DatasetFacts) => {
  const page = rotate(facts.privateWithContent);
  return (): Planned => {
    const { slug, memberId } = page();
    return { body: body(GROUP_PAGE, { slug }), memberId };
  };
};

/** An admin's view of a PRIVATE group's pending join requests (one group per admin, in turn). */
const pendingRequests = (facts: DatasetFacts) => {
  const page = rotate(adminsOfRequests(facts));
  return (): Planned => {
    const { groupId, adminId } = page();
    return { body: body(PENDING_REQUESTS, { groupId }), memberId: adminId };
  };
};

/** One admin for each of up to 2,000 groups with pending requests. */
const adminsOfRequests = (facts: DatasetFacts) => {
  const byGroup = new Map<string, { groupId: string; adminId: string }>();
  for (const { groupId, adminId } of facts.approvable) if (!byGroup.has(groupId)) byGroup.set(groupId, { groupId, adminId });
  return [...byGroup.values()].slice(0, 2_000);
};

const myMemberships = (facts: DatasetFacts) => {
  const viewer = rotate(facts.heavyMembers);
  return (): Planned => ({ body: body(MY_MEMBERSHIPS), memberId: viewer() });
};

/** Writes per request of the mix: one in ten. */
const WRITE_EVERY = 10;
/** Writes signed for up front; more than a run at this machine's rates can use. */
const WRITES_PLANNED = 6_000;

/** (b) with one request in ten a write: join a PUBLIC group, leave one joined earlier, approve a request. */
const writeMix = (facts: DatasetFacts) => {
  const read = myGroups(facts);
  let n = 0;
  let writes = 0;
  let joins = 0;
  let approvals = 0;
  const joined: { groupId: string; memberId: string }[] = [];
  const join = (): Planned => {
    const pair = facts.joinable[joins++ % WRITES_PLANNED];
    return {
      body: body(JOIN, { groupId: pair.groupId }),
      memberId: pair.memberId,
      onResponse: (response) => {
        if (!response.includes('"errors"')) joined.push(pair);
      },
    };
  };
  return (): Planned => {
    if (++n % WRITE_EVERY !== 0) return read();
    const kind = writes++ % 3;
    if (kind === 1 && joined.length > 0) {
      const pair = joined.shift()!;
      return { body: body(LEAVE, { groupId: pair.groupId }), memberId: pair.memberId };
    }
    if (kind === 2) {
      const request = facts.approvable[approvals++ % WRITES_PLANNED];
      return { body: body(APPROVE, { groupId: request.groupId, memberIds: [request.memberId] }), memberId: request.adminId };
    }
    return join();
  };
};

/**
 * A request stream that sends one request over and over. It carries that request (`always`), so the load
 * generator prepares it once instead of building each one (bench/load.ts).
 */
export interface FixedNext {
  (): Planned;
  always: Planned;
}

const fixed = (query: string) => (): FixedNext => {
  const planned: Planned = { body: body(query), memberId: null };
  return Object.assign(() => planned, { always: planned });
};

export const SCENARIOS: Record<string, Scenario> = {
  typename: {
    name: 'typename',
    description: '`{ __typename }`, anonymous',
    baseline: 'node-http',
    viewers: () => [],
    next: fixed(TYPENAME),
  },
  a: {
    name: 'a',
    description: '(a) anonymous groups(first: 20) by MEMBERS_COUNT',
    baseline: 'handwritten-a',
    viewers: () => [],
    next: fixed(POPULAR_GROUPS),
  },
  b: {
    name: 'b',
    description: "(b) a member's groups(first: 20) + viewerRole, viewerCan, members(first: 5)",
    baseline: 'handwritten-b',
    viewers: (facts) => facts.heavyMembers,
    next: myGroups,
  },
  c: {
    name: 'c',
    description: '(c) groupBySlug, PRIVATE, with members, rules, questions, for a member',
    baseline: 'handwritten-c',
    viewers: (facts) => facts.privateWithContent.map((p) => p.memberId),
    next: groupPage,
  },
  f: {
    name: 'f',
    description: "(f) a group admin's pending joinRequests(first: 10) with answers",
    viewers: (facts) => adminsOfRequests(facts).map((a) => a.adminId),
    next: pendingRequests,
  },
  g: {
    name: 'g',
    description: "(g) a member's own memberships(first: 20) with their groups",
    viewers: (facts) => facts.heavyMembers,
    next: myMemberships,
  },
  d: {
    name: 'd',
    description: '(d) (b) with 10% writes (join / leave / approve)',
    baseline: 'handwritten-b',
    viewers: (facts) => [
      ...facts.heavyMembers,
      ...facts.joinable.slice(0, WRITES_PLANNED).map((p) => p.memberId),
      ...facts.approvable.slice(0, WRITES_PLANNED).map((p) => p.adminId),
    ],
    next: writeMix,
  },
};

/** The baselines' own request streams (the hand-written ones answer the same documents as the gateway). */
export const BASELINE_REQUESTS: Record<string, { server: string; next: Scenario['next']; viewers: Scenario['viewers'] }> = {
  'node-http': { server: 'node-http', next: fixed(TYPENAME), viewers: () => [] },
  'graphql-js': { server: 'graphql-js', next: fixed(HELLO), viewers: () => [] },
  'yoga-hello': { server: 'yoga-hello', next: fixed(HELLO), viewers: () => [] },
  'handwritten-a': { server: 'handwritten', next: SCENARIOS.a.next, viewers: SCENARIOS.a.viewers },
  'handwritten-b': { server: 'handwritten', next: SCENARIOS.b.next, viewers: SCENARIOS.b.viewers },
  'handwritten-c': { server: 'handwritten', next: SCENARIOS.c.next, viewers: SCENARIOS.c.viewers },
};
