/**
 * No N+1: the SQL a list costs does not grow with its page size. Each query is run with a small and a large
 * page over the same world, and must run exactly as many statements for both. The counts are printed so a
 * change in cost shows in the test output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { addMembers, admin, createGroup, manager, member, type Privacy } from './helpers/world.ts';

let gw: TestGateway;
const GROUPS = 60;
const CYCLE: Privacy[] = ['PUBLIC', 'PRIVATE', 'PUBLIC', 'PRIVATE', 'PUBLIC', 'SECRET'];
const REQUESTERS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
let busyPrivateGroup = '';

/**
 * 60 groups of every privacy, each with four to five members. `member` belongs to all but a few PUBLIC ones
 * (so viewerRole varies), and is the admin of every fourth. Every third group has rules and a question; the
 * PRIVATE groups hold pending join requests with answers.
 */
beforeAll(async () => {
  // Pages of 50 rich rows, each with a page of members, cost about the default MAX_COST: the cost limit is
  // another test's subject (limits.test.ts); here only the statements count, at any page size.
  gw = await startGateway({ MAX_COST: '1000000' });
  for (let i = 0; i < GROUPS; i++) {
    const privacy = CYCLE[i % CYCLE.length];
    const group = await createGroup(gw, { name: `Group ${String(i).padStart(2, '0')}`, privacy }, i % 4 === 0 ? 'member' : 'admin');
    const outOfIt = privacy === 'PUBLIC' && i % 5 === 0;
    await addMembers(gw, group.id, [...(i % 4 === 0 || outOfIt ? [] : ['member']), 'm1', 'm2', 'm3']);
    if (i % 3 === 0 || privacy === 'PRIVATE') {
      const id = group.id;
      ok(await gw.as(manager)(`mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "One", description: "1" }, { title: "Two", description: "2" }]) { id } }`, { id }));
      ok(await gw.as(manager)(`mutation($id: ID!) { setMembershipQuestions(groupId: $id, questions: [{ text: "Why?", required: true }]) { id } }`, { id }));
    }
    if (privacy === 'PRIVATE') {
      const { group: g } = ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { questions { id } } }`, { id: group.id }));
      const requesters = i === 1 ? REQUESTERS : REQUESTERS.slice(0, 2);
      for (const sub of requesters) {
        ok(await gw.as({ sub })(`mutation($id: ID!, $a: [MembershipAnswerInput!]) { joinGroup(groupId: $id, answers: $a) { joinRequest { id } } }`, {
          id: group.id,
          a: [{ questionId: g.questions[0].id, text: `Because ${sub}` }],
        }));
      }
      if (i === 1) busyPrivateGroup = group.id;
    }
  }
}, 120_000);
afterAll(() => gw.close());

const GROUP_FIELDS = `id name membersCount viewerRole
  viewerCan { view viewContent join requestToJoin leave addMembers removeMembers approveJoinRequests assignRoles update delete }
  settings { membersCanApprove membersCanInvite showMemberList } rules { title } questions { text }
  members(first: 5) { totalCount edges { node { memberId role } } }`;

/** Runs `query` with `$first` = each size, returning the statement count and the edges seen per size. */
async function measure(viewer: ViewerSpec, query: string, sizes: number[], edgesOf: (data: any) => unknown[], vars: Record<string, unknown> = {}) {
  const runs: { first: number; statements: number; edges: number }[] = [];
  for (const first of sizes) {
    gw.statements.length = 0;
    const data = ok(await gw.as(viewer)(query, { ...vars, first }));
    runs.push({ first, statements: gw.statements.length, edges: edgesOf(data).length });
  }
  return runs;
}

function expectFlat(label: string, runs: { first: number; statements: number; edges: number }[]) {
  console.log(`${label}: ${runs.map((r) => `first ${r.first} (${r.edges} edges) = ${r.statements} statements`).join('; ')}`);
  expect(runs.map((r) => r.edges)).toEqual(runs.map((r) => r.first)); // the big page really is big
  expect(new Set(runs.map((r) => r.statements)).size).toBe(1);
}

describe('statement counts do not grow with the page size', () => {
  it('groups with every per-group field and a page of members', async () => {
    const query = `query($first: Int) { groups(first: $first) { totalCount edges { node { ${GROUP_FIELDS} } } } }`;
    const runs = await measure(member, query, [5, 50], (d) => d.groups.edges);
    expectFlat('groups', runs);
    // the fields really resolved: a sample of the page
    const data = ok(await gw.as(member)(query, { first: 50 }));
    expect(data.groups.totalCount).toBe(GROUPS);
    expect(data.groups.edges.filter((e: any) => e.node.viewerRole === null).length).toBeGreaterThan(0);
    expect(data.groups.edges.every((e: any) => e.node.members.edges.length === Math.min(5, e.node.membersCount))).toBe(true);
  });

  it("a member's own groups with viewerRole, viewerCan and members (the bench's scenario b): at most 3 statements", async () => {
    const query = `query($first: Int) { groups(first: $first, filter: { memberId: "member" }) { totalCount edges { node {
      id name viewerRole
      viewerCan { view viewContent join requestToJoin leave addMembers removeMembers approveJoinRequests assignRoles update delete }
      members(first: 5) { totalCount edges { node { memberId } } } } } } }`;
    const runs = await measure(member, query, [5, 40], (d) => d.groups.edges);
    expectFlat('groups(filter: { memberId })', runs);
    // The member's groups, the page with the viewer's standing in each, the members of all of them.
    expect(runs[0].statements).toBeLessThanOrEqual(3);
    const data = ok(await gw.as(member)(query, { first: 40 }));
    expect(data.groups.edges.every((e: any) => e.node.viewerRole !== null)).toBe(true);
  });

  it('the same list for an anonymous viewer and a Groups Manager', async () => {
    const query = `query($first: Int) { groups(first: $first, filter: { privacy: [PUBLIC] }) { totalCount edges { node { ${GROUP_FIELDS} } } } }`;
    expectFlat('groups (anonymous)', await measure('anonymous', query, [5, 30], (d) => d.groups.edges));
    const all = `query($first: Int) { groups(first: $first) { totalCount edges { node { ${GROUP_FIELDS} } } } }`;
    expectFlat('groups (manager)', await measure(manager, all, [5, 50], (d) => d.groups.edges));
  });

  it('viewer.memberships with each membership’s group', async () => {
    const query = `query($first: Int) { viewer { memberships(first: $first) { totalCount edges { node { memberId role group { ${GROUP_FIELDS} } } } } } }`;
    const runs = await measure(member, query, [5, 50], (d) => d.viewer.memberships.edges);
    expectFlat('viewer.memberships', runs);
    // The page brings each membership's group (src/db/membership-list.ts): page, total, and one each for
    // the viewer's standing, the members and the rules and questions.
    expect(runs[0].statements).toBeLessThanOrEqual(5);
  });

  it('memberships(memberId) with each membership’s group, for that member and for a manager', async () => {
    const query = `query($first: Int) { memberships(memberId: "m1", first: $first) { totalCount edges { node { role group { ${GROUP_FIELDS} } } } } }`;
    expectFlat('memberships (self)', await measure({ sub: 'm1' }, query, [5, 50], (d) => d.memberships.edges));
    expectFlat('memberships (manager)', await measure(manager, query, [5, 50], (d) => d.memberships.edges));
  });

  it('one group’s joinRequests with answers and group', async () => {
    const query = `query($id: ID!, $first: Int) { group(id: $id) { joinRequests(first: $first) {
      totalCount edges { node { memberId status answers { question text } group { id name } } } } } }`;
    const runs = await measure(manager, query, [2, 6], (d) => d.group.joinRequests.edges, { id: busyPrivateGroup });
    expectFlat('group.joinRequests', runs);
    // The group with the viewer's standing in it, the page, its total and the answers of its requests.
    expect(runs[0].statements).toBeLessThanOrEqual(4);
  });

  // Group.joinRequests goes through a page loader (loaders.ts), so a list of groups costs the same as one.
  it('joinRequests on every group of a list', async () => {
    const query = `query($first: Int) { groups(first: $first, filter: { privacy: [PRIVATE] }) { edges { node { id
      joinRequests(first: 5) { totalCount edges { node { memberId answers { text } group { id } } } } } } } }`;
    const runs = await measure(manager, query, [3, 20], (d) => d.groups.edges);
    expectFlat('groups.joinRequests', runs);
    // The page of groups, then one each for the requests, their totals and their answers.
    expect(runs[0].statements).toBeLessThanOrEqual(4);
  });

  it('group(id:) and groupBySlug under many aliases: one read for all of them, as for one', async () => {
    const groups = ok(await gw.as(manager)(`{ groups(first: 12) { edges { node { id slug } } } }`)).groups.edges.map((e: any) => e.node);
    const runs = [];
    for (const size of [1, 12]) {
      // Half by id, half by slug, and one that does not exist.
      const aliases = groups.slice(0, size).map((g: any, i: number) => (i % 2 ? `s${i}: groupBySlug(slug: "${g.slug}")` : `i${i}: group(id: "${g.id}")`) + ` { ${GROUP_FIELDS} }`);
      gw.statements.length = 0;
      const data = ok(await gw.as(member)(`{ ${aliases.join(' ')} none: group(id: "no-such-group") { id } }`));
      runs.push({ first: size, statements: gw.statements.length, edges: Object.values(data).filter((g) => g !== null).length });
    }
    console.log(`group aliases: ${runs.map((r) => `${r.first} (${r.edges} seen) = ${r.statements} statements`).join('; ')}`);
    expect(new Set(runs.map((r) => r.statements)).size).toBe(1);
    expect(runs[1].edges).toBeGreaterThan(runs[0].edges);
  });

  it('nodes(ids:) with every per-group field', async () => {
    const ids: string[] = ok(await gw.as(manager)(`{ groups(first: 50) { edges { node { id } } } }`)).groups.edges.map((e: any) => e.node.id);
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Group { ${GROUP_FIELDS} } } }`;
    const runs = [];
    for (const size of [5, 50]) {
      gw.statements.length = 0;
      const data = ok(await gw.as(member)(query, { ids: ids.slice(0, size) }));
      runs.push({ first: size, statements: gw.statements.length, edges: data.nodes.filter((n: unknown) => n !== null).length });
    }
    // The groups, the viewer's standing in them, their members, their rules and questions: whatever the ids.
    expect(new Set(runs.map((r) => r.statements)).size).toBe(1);
    console.log(`nodes: ${runs.map((r) => `${r.first} ids (${r.edges} seen) = ${r.statements} statements`).join('; ')}`);
    expect(runs[1].edges).toBeGreaterThan(runs[0].edges);
  });

  // Backward pages (`last`) are the same statements read from the other end: as flat, and no more of them.
  it('paging backward: groups with members and joinRequests on each, and a member’s memberships', async () => {
    const forward = `query($first: Int) { groups(first: $first) { totalCount edges { node { ${GROUP_FIELDS}
      joinRequests(first: 2) { totalCount edges { node { memberId answers { text } } } } } } } }`;
    const backward = forward.replace('groups(first: $first)', 'groups(last: $first)').replace('members(first: 5)', 'members(last: 5)').replace('joinRequests(first: 2)', 'joinRequests(last: 2)');
    expect(backward).not.toBe(forward);
    const runs = await measure(manager, backward, [5, 50], (d) => d.groups.edges);
    expectFlat('groups (last), members (last), joinRequests (last)', runs);
    expect(runs[0].statements).toBe((await measure(manager, forward, [50], (d) => d.groups.edges))[0].statements);
    // The same rows as the end of the forward list, each group's members and requests the last of its own.
    const all = ok(await gw.as(manager)(forward, { first: 100 })).groups.edges.map((e: any) => e.node);
    const last = ok(await gw.as(manager)(backward, { first: 5 })).groups.edges.map((e: any) => e.node);
    expect(last.map((g: any) => g.id)).toEqual(all.slice(-5).map((g: any) => g.id));
    const withRequests = last.filter((g: any) => g.joinRequests.totalCount > 2);
    for (const group of last) {
      const full = ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { members(first: 100) { edges { node { memberId role } } }
        joinRequests(first: 100) { edges { node { memberId answers { text } } } } } }`, { id: group.id })).group;
      expect(group.members.edges).toEqual(full.members.edges.slice(-5));
      expect(group.joinRequests.edges).toEqual(full.joinRequests.edges.slice(-2));
    }
    expect(last.some((g: any) => g.members.totalCount > 5) || withRequests.length > 0).toBe(true);
    const memberships = `query($first: Int) { viewer { memberships(last: $first) { totalCount edges { node { role group { ${GROUP_FIELDS} } } } } } }`;
    expectFlat('viewer.memberships (last)', await measure(member, memberships, [5, 40], (d) => d.viewer.memberships.edges));
  });

  // A group asked to join, as its requester sees it (the members of a PRIVATE group are not theirs to read).
  const REQUESTED_GROUP_FIELDS = GROUP_FIELDS.slice(0, GROUP_FIELDS.indexOf('members('));

  it('viewer.joinRequestsToDecide across groups, with answers and group', async () => {
    const query = `query($first: Int) { viewer { joinRequestsToDecide(first: $first) { totalCount edges { node {
      id memberId status answers { question text } group { ${REQUESTED_GROUP_FIELDS} } } } } } }`;
    for (const viewer of [admin, manager]) {
      const runs = await measure(viewer, query, [5, 20], (d) => d.viewer.joinRequestsToDecide.edges);
      expectFlat(`viewer.joinRequestsToDecide (${viewer === manager ? 'manager' : 'admin'})`, runs);
      // The page with each request's group, its total, and one each for the answers, the viewer's standing
      // and the rules and questions.
      expect(runs[0].statements).toBeLessThanOrEqual(5);
    }
  });

  it('display names of every member and requester of a list: a statement more, at any page size', async () => {
    for (const sub of ['m1', 'm2', 'r1', 'r2']) ok(await gw.as({ sub, name: `Name of ${sub}` })(`{ viewer { name } }`));
    await gw.app.services.memberNames.flush(); // written in the background: not during the counts below
    const ids = `query($first: Int) { groups(first: $first, filter: { privacy: [PRIVATE] }) { edges { node { id
      members(first: 5) { edges { node { memberId } } } joinRequests(first: 5) { edges { node { memberId } } } } } } }`;
    const names = ids.replaceAll('{ memberId }', '{ memberId memberName }');
    const base = await measure(manager, ids, [3, 20], (d) => d.groups.edges);
    const runs = await measure(manager, names, [3, 20], (d) => d.groups.edges);
    expectFlat('groups.members and joinRequests with memberName', runs);
    // One statement for the names of a page's members and requesters: read together on SQLite; on PostgreSQL
    // the two pages arrive apart, and each brings its names.
    expect(runs[0].statements - base[0].statements).toBeGreaterThanOrEqual(1);
    expect(runs[0].statements - base[0].statements).toBeLessThanOrEqual(2);
    const data = ok(await gw.as(manager)(names, { first: 20 }));
    const shown = data.groups.edges.flatMap((e: any) => [...e.node.members.edges, ...e.node.joinRequests.edges].map((m: any) => m.node.memberName));
    expect(new Set(shown)).toEqual(new Set([null, 'Name of m1', 'Name of m2', 'Name of r1', 'Name of r2']));
  });

  // Runs last: it decides some of r2's requests (outside the busy group the tests above count).
  it('viewer.joinRequests with each request’s answers, outcome and group', async () => {
    const query = `query($first: Int) { viewer { joinRequests(first: $first) { totalCount edges { node {
      id status rejectionReason decidedAt decidedBy answers { question text } group { ${REQUESTED_GROUP_FIELDS} } } } } } }`;
    // r1 asked to join each of the 20 PRIVATE groups, and r2 too; r2's are decided every way, so decidedBy
    // is judged per group (approved: a member now, who reads the member list).
    const { viewer } = ok(await gw.as({ sub: 'r2' })(`{ viewer { joinRequests(first: 100) { edges { node { group { id } } } } } }`));
    const groupIds: string[] = viewer.joinRequests.edges.map((e: any) => e.node.group.id).filter((id: string) => id !== busyPrivateGroup);
    for (const [i, id] of groupIds.entries()) {
      if (i % 3 === 0) ok(await gw.as(manager)(`mutation($id: ID!) { approveJoinRequests(groupId: $id, memberIds: ["r2"]) { id } }`, { id }));
      if (i % 3 === 1) ok(await gw.as(manager)(`mutation($id: ID!) { rejectJoinRequests(groupId: $id, rejections: [{ memberId: "r2", reason: "No." }]) { id } }`, { id }));
    }
    for (const sub of ['r1', 'r2']) {
      const runs = await measure({ sub }, query, [5, 20], (d) => d.viewer.joinRequests.edges);
      expectFlat(`viewer.joinRequests (${sub})`, runs);
      // The page with each request's group, its total, and one each for the answers, the viewer's standing
      // and the rules and questions; r2's decided requests read the standing one level earlier, for decidedBy
      // (the groups left are read with the group's fields): at most two, whatever the page size.
      expect(runs[0].statements).toBeLessThanOrEqual(sub === 'r1' ? 5 : 6);
    }
    const data = ok(await gw.as({ sub: 'r2' })(query, { first: 20 }));
    const statuses = data.viewer.joinRequests.edges.map((e: any) => e.node.status);
    expect(new Set(statuses)).toEqual(new Set(['APPROVED', 'REJECTED', 'PENDING']));
    expect(data.viewer.joinRequests.edges.every((e: any) => e.node.group.name && e.node.answers.length === 1)).toBe(true);
    expect(data.viewer.joinRequests.edges.some((e: any) => e.node.decidedBy === 'manager')).toBe(true);
  });
});

describe('deciding many join requests', () => {
  it('approving or rejecting 12 requests costs the statements of approving or rejecting one', async () => {
    const requesters = Array.from({ length: 26 }, (_, i) => `decided-${i}`);
    const group = await createGroup(gw, { name: 'Many requests', privacy: 'PRIVATE' });
    for (const sub of requesters) ok(await gw.as({ sub })(`mutation($id: ID!) { joinGroup(groupId: $id) { joinRequest { id } } }`, { id: group.id }));
    const decide = async (verb: 'approve' | 'reject', memberIds: string[]) => {
      gw.statements.length = 0;
      const mutation =
        verb === 'approve'
          ? `mutation($id: ID!, $m: [ID!]!) { approveJoinRequests(groupId: $id, memberIds: $m) { memberId status } }`
          : `mutation($id: ID!, $r: [JoinRejectionInput!]!) { rejectJoinRequests(groupId: $id, rejections: $r) { memberId status } }`;
      const data = ok(await gw.as(manager)(mutation, { id: group.id, m: memberIds, r: memberIds.map((memberId, i) => ({ memberId, reason: i % 2 ? 'Full.' : null })) }));
      const decided = data.approveJoinRequests ?? data.rejectJoinRequests;
      expect(decided.map((r: any) => [r.memberId, r.status])).toEqual(memberIds.map((m) => [m, verb === 'approve' ? 'APPROVED' : 'REJECTED']));
      return gw.statements.length;
    };
    const approveOne = await decide('approve', requesters.slice(0, 1));
    const approveMany = await decide('approve', requesters.slice(1, 13));
    // Rejections with two different reasons: an update for each reason.
    const rejectTwo = await decide('reject', requesters.slice(13, 15));
    const rejectMany = await decide('reject', requesters.slice(15, 26));
    console.log(`approveJoinRequests: 1 = ${approveOne}, 12 = ${approveMany}; rejectJoinRequests: 2 = ${rejectTwo}, 11 = ${rejectMany} statements`);
    expect(approveMany).toBe(approveOne);
    expect(rejectMany).toBe(rejectTwo);
    const members = ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { membersCount } }`, { id: group.id }));
    expect(members.group.membersCount).toBe(1 + 13); // its admin and the approved
  });

  it('adding members, some of whom asked to join, and giving or taking back a role: the same statements for 1 or 12', async () => {
    const group = await createGroup(gw, { name: 'Many added', privacy: 'PRIVATE' });
    const people = Array.from({ length: 26 }, (_, i) => `added-${i}`);
    // Every other one has asked to join: adding them approves their requests.
    for (const sub of people.filter((_, i) => i % 2 === 0)) {
      ok(await gw.as({ sub })(`mutation($id: ID!) { joinGroup(groupId: $id) { joinRequest { id } } }`, { id: group.id }));
    }
    const run = async (mutation: string, memberIds: string[]) => {
      gw.statements.length = 0;
      ok(await gw.as(manager)(mutation, { id: group.id, m: memberIds }));
      return gw.statements.length;
    };
    const add = `mutation($id: ID!, $m: [ID!]!) { addGroupMembers(groupId: $id, memberIds: $m) { memberId role } }`;
    const assign = `mutation($id: ID!, $m: [ID!]!) { assignRole(groupId: $id, memberIds: $m, role: ADMIN) { memberId role } }`;
    const unassign = `mutation($id: ID!, $m: [ID!]!) { unassignRole(groupId: $id, memberIds: $m, role: ADMIN) { memberId role } }`;
    const counts = {
      add: [await run(add, people.slice(0, 2)), await run(add, people.slice(2, 14))],
      assign: [await run(assign, people.slice(0, 1)), await run(assign, people.slice(1, 13))],
      unassign: [await run(unassign, people.slice(0, 1)), await run(unassign, people.slice(1, 13))],
    };
    console.log(`addGroupMembers / assignRole / unassignRole, few and 12: ${JSON.stringify(counts)}`);
    for (const [few, many] of Object.values(counts)) expect(many).toBe(few);
    const data = ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { membersCount members(first: 20, role: ADMIN) { totalCount } joinRequests { totalCount } } }`, { id: group.id }));
    // Its admin and the 14 added; the 7 of them who had asked are no longer waiting; nobody added is an admin now.
    expect([data.group.membersCount, data.group.members.totalCount, data.group.joinRequests.totalCount]).toEqual([15, 1, 6]);
  });
});

describe('deciding many create requests', () => {
  it('approving or rejecting 12 create requests costs the statements of approving or rejecting one or two', async () => {
    const settings = `mutation($p: GroupCreationPolicy!) { updateGroupsSettings(input: { groupCreation: $p }) { groupCreation } }`;
    ok(await gw.as(manager)(settings, { p: 'ADMIN_APPROVAL' }));
    // Names that meet existing slugs and each other ("Group 00" is taken; the requests share bases), of every privacy.
    const ids: string[] = [];
    for (let i = 0; i < 26; i++) {
      const filed = ok(await gw.as({ sub: `asker-${i}` })(`mutation($n: String!, $p: GroupPrivacy) { createGroup(input: { name: $n, privacy: $p }) { createRequest { id } } }`, {
        n: i % 2 ? `Group 0${i % 3}` : `Asked ${i % 4}`,
        p: CYCLE[i % CYCLE.length],
      }));
      ids.push(filed.createGroup.createRequest.id);
    }
    ok(await gw.as(manager)(settings, { p: 'ALL_MEMBERS' }));
    const decide = async (verb: 'approve' | 'reject', chosen: string[]) => {
      gw.statements.length = 0;
      const data = ok(
        verb === 'approve'
          ? await gw.as(manager)(`mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { id status requestedBy group { slug createdBy membersCount } } }`, { ids: chosen })
          : await gw.as(manager)(`mutation($r: [CreateRejectionInput!]!) { rejectCreateRequests(rejections: $r) { id status rejectionReason } }`, {
              r: chosen.map((id, i) => ({ id, reason: i % 2 ? 'Full.' : null })),
            }),
      );
      const decided = data.approveCreateRequests ?? data.rejectCreateRequests;
      expect(decided.map((r: any) => [r.id, r.status])).toEqual(chosen.map((id) => [id, verb === 'approve' ? 'APPROVED' : 'REJECTED']));
      if (verb === 'approve') {
        for (const r of decided) expect(r.group).toMatchObject({ createdBy: r.requestedBy, membersCount: 1 });
      }
      return { statements: gw.statements.length, decided };
    };
    const approveOne = await decide('approve', ids.slice(0, 1));
    const approveMany = await decide('approve', ids.slice(1, 13));
    const rejectTwo = await decide('reject', ids.slice(13, 15));
    const rejectMany = await decide('reject', ids.slice(15, 26));
    console.log(
      `approveCreateRequests: 1 = ${approveOne.statements}, 12 = ${approveMany.statements}; rejectCreateRequests: 2 = ${rejectTwo.statements}, 11 = ${rejectMany.statements} statements`,
    );
    expect(approveMany.statements).toBe(approveOne.statements);
    expect(rejectMany.statements).toBe(rejectTwo.statements);
    // Every approved group got a slug of its own, none of them an existing group's.
    const slugs = [...approveOne.decided, ...approveMany.decided].map((r: any) => r.group.slug);
    expect(new Set(slugs).size).toBe(13);
    expect(slugs).not.toContain('group-00');
    expect(rejectMany.decided.map((r: any) => r.rejectionReason)).toEqual(ids.slice(15, 26).map((_, i) => (i % 2 ? 'Full.' : null)));
  });
});
