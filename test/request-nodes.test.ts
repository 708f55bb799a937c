/**
 * Join and create requests as Relay nodes: `node(id:)` and `nodes(ids:)` answer a request to exactly those who
 * may read it in one of their lists (its requester, while they may see its group; those who may decide it;
 * Groups Managers for create requests), and null to everyone else, as for an id that names nothing. Through
 * GraphQL against the real gateway, with the statements each lookup costs counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { admin, anonymous, manager, member, outsider } from './helpers/world.ts';
import { groupWith, OPS, who } from './helpers/membership.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const JOIN = `mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { id } } }`;
const WISH = `mutation($name: String!) { createGroup(input: { name: $name }) { group { id } createRequest { id } } }`;
const NODE = `query($id: ID!) { node(id: $id) { __typename id
  ... on JoinRequest { memberId status group { id } decidedBy }
  ... on CreateRequest { requestedBy name status }
  ... on Group { name } } }`;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;

const askToJoin = async (sub: string, groupId: string): Promise<string> => ok(await gw.as(who(sub))(JOIN, { g: groupId })).joinGroup.joinRequest.id;
const node = async (viewer: ViewerSpec, id: string) => ok(await gw.as(viewer)(NODE, { id })).node;

describe('node(id:) for join and create requests', () => {
  // A PRIVATE group (admin `admin`, plain member `member`) where ann asks to join; one whose plain members
  // may approve (member `approver`) where cal asks; and one made SECRET after ben asked (his request closed).
  let closed: { id: string; ann: string; cal: string; ben: string; wish: string; groups: Record<string, string> };
  beforeAll(async () => {
    const privateGroup = await groupWith(gw, { privacy: 'PRIVATE', members: ['member'] });
    const approving = await groupWith(gw, { privacy: 'PRIVATE', members: ['approver'], settings: { membersCanApprove: true } });
    const secret = await groupWith(gw, { privacy: 'PRIVATE', members: ['member'] });
    const ann = await askToJoin('ann', privateGroup.id);
    const cal = await askToJoin('cal', approving.id);
    const ben = await askToJoin('ben', secret.id);
    ok(await gw.as(manager)(OPS.privacy, { g: secret.id, p: 'SECRET' }));
    // The site's default creation policy (ADMIN_APPROVAL): dora's createGroup files a create request.
    const made = ok(await gw.as(who('dora'))(WISH, { name: 'Dora’s reading circle' })).createGroup;
    expect(made.group).toBeNull();
    closed = { id: secret.id, ann, cal, ben, wish: made.createRequest.id, groups: { privateGroup: privateGroup.id, approving: approving.id } };
  });

  it('shows a pending join request to its requester, the group’s admins and Groups Managers, with its fields', async () => {
    const expected = { __typename: 'JoinRequest', id: closed.ann, memberId: 'ann', status: 'PENDING', group: { id: closed.groups.privateGroup }, decidedBy: null };
    for (const viewer of [who('ann'), admin, manager]) expect(await node(viewer, closed.ann)).toEqual(expected);
  });

  it('hides a join request from the group’s plain members, other members and anonymous viewers, as an unknown id', async () => {
    for (const viewer of [member, outsider, who('cal'), anonymous]) {
      const response = await gw.as(viewer)(NODE, { id: closed.ann });
      expect(response).toEqual({ status: 200, data: { node: null } });
      expect(await gw.as(viewer)(NODE, { id: 'no-such-node' })).toEqual(response);
    }
  });

  it('shows a join request to plain members where they may approve requests', async () => {
    expect(await node(who('approver'), closed.cal)).toMatchObject({ __typename: 'JoinRequest', memberId: 'cal', status: 'PENDING' });
    expect(await node(who('approver'), closed.ann)).toBeNull();
  });

  it('a request to a group made SECRET is gone for its requester and for outsiders, and kept for its admins', async () => {
    // The group's admin and a Groups Manager still read it, closed.
    for (const viewer of [admin, manager]) {
      expect(await node(viewer, closed.ben)).toMatchObject({ __typename: 'JoinRequest', memberId: 'ben', status: 'REJECTED', group: { id: closed.id } });
    }
    // The requester is told nothing: null, as for the id of a deleted group's request.
    for (const viewer of [who('ben'), outsider, anonymous]) expect(await gw.as(viewer)(NODE, { id: closed.ben })).toEqual({ status: 200, data: { node: null } });
    // A plain member of the secret group may not decide its requests: nothing either.
    expect(await node(member, closed.ben)).toBeNull();
  });

  it('shows a create request to its requester and to Groups Managers only', async () => {
    const expected = { __typename: 'CreateRequest', id: closed.wish, requestedBy: 'dora', name: 'Dora’s reading circle', status: 'PENDING' };
    for (const viewer of [who('dora'), manager]) expect(await node(viewer, closed.wish)).toEqual(expected);
    for (const viewer of [admin, member, outsider, anonymous]) expect(await node(viewer, closed.wish)).toBeNull();
  });

  it('nodes(ids:) mixes groups and requests, in the order asked, null where the viewer may not see', async () => {
    const ids = [closed.groups.privateGroup, closed.ann, closed.wish, closed.ben, 'no-such-node', closed.ann];
    const asAdmin = ok(await gw.as(admin)(NODES, { ids })).nodes;
    expect(asAdmin).toEqual([
      { __typename: 'Group', id: closed.groups.privateGroup },
      { __typename: 'JoinRequest', id: closed.ann },
      null,
      { __typename: 'JoinRequest', id: closed.ben },
      null,
      { __typename: 'JoinRequest', id: closed.ann },
    ]);
    const asDora = ok(await gw.as(who('dora'))(NODES, { ids })).nodes;
    expect(asDora).toEqual([{ __typename: 'Group', id: closed.groups.privateGroup }, null, { __typename: 'CreateRequest', id: closed.wish }, null, null, null]);
  });

  it('the id is the one the lists give: Relay refetches what it read in viewer.joinRequests and createRequests', async () => {
    const mine = ok(await gw.as(who('ann'))(`{ viewer { joinRequests { edges { node { id } } } } }`)).viewer.joinRequests.edges.map((e: any) => e.node.id);
    expect(mine).toContain(closed.ann);
    const queue = ok(await gw.as(manager)(`{ createRequests { edges { node { id } } } }`)).createRequests.edges.map((e: any) => e.node.id);
    expect(queue).toContain(closed.wish);
  });
});

describe('statements', () => {
  const REQUEST_FIELDS = `__typename id ... on JoinRequest { memberId status decidedBy answers { text } group { id name viewerRole } }
    ... on CreateRequest { name requestedBy made: group { id } }`;

  it('nodes(ids:) of 3 or 30 requests costs the same statements', async () => {
    const group = await groupWith(gw, { privacy: 'PRIVATE' });
    const other = await groupWith(gw, { privacy: 'PRIVATE' });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push(await askToJoin(`joiner-${i}`, i % 2 ? group.id : other.id));
    for (let i = 0; i < 15; i++) ids.push(ok(await gw.as(who(`wisher-${i}`))(WISH, { name: `Wish ${i}` })).createGroup.createRequest.id);
    const runs = [];
    for (const size of [3, 30]) {
      // Join and create requests alike, interleaved.
      const asked = Array.from({ length: size }, (_, i) => ids[i % 2 ? 15 + Math.floor(i / 2) : Math.floor(i / 2)]);
      gw.statements.length = 0;
      const data = ok(await gw.as(manager)(`query($ids: [ID!]!) { nodes(ids: $ids) { ${REQUEST_FIELDS} } }`, { ids: asked }));
      expect(data.nodes.every((n: unknown) => n !== null)).toBe(true);
      runs.push({ size, statements: gw.statements.length });
    }
    console.log(`request nodes: ${runs.map((r) => `${r.size} ids = ${r.statements} statements`).join('; ')}`);
    expect(runs[1].statements).toBe(runs[0].statements);
    // The groups (none), the join and the create requests, the answers, the groups' standings: no more.
    expect(runs[0].statements).toBeLessThanOrEqual(5);
  });

  it('an anonymous viewer’s lookup reads groups only: no request is theirs to read', async () => {
    gw.statements.length = 0;
    expect(ok(await gw.as(anonymous)(NODE, { id: 'no-such-node' }))).toEqual({ node: null });
    expect(gw.statements).toHaveLength(1);
  });
});
