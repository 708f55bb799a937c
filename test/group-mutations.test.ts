/**
 * Writing groups: createGroup under each creation policy, slugs and validation, the admin mutations as a
 * matrix of viewer kind × privacy, the app-wide settings, and create requests from filing to decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { addMembers, admin, anonymous, createGroup, manager, member, outsider, type Privacy } from './helpers/world.ts';
import { LIMITS } from '../src/domain/validate.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const alice: ViewerSpec = { sub: 'alice' };
const bob: ViewerSpec = { sub: 'bob' };

const CREATE = `mutation($input: CreateGroupInput!) { createGroup(input: $input) {
  group { id slug name privacy createdBy membersCount viewerRole members { edges { node { memberId role } } } }
  createRequest { status requestedBy name privacy group { id } } } }`;
const create = (viewer: ViewerSpec, input: Record<string, unknown>) => gw.as(viewer)(CREATE, { input });

async function setPolicy(groupCreation: string) {
  const data = ok(await gw.as(manager)(`mutation($p: GroupCreationPolicy!) { updateGroupsSettings(input: { groupCreation: $p }) { groupCreation } }`, { p: groupCreation }));
  expect(data.updateGroupsSettings).toEqual({ groupCreation });
}
/** How many groups (of any privacy) carry this exact name. */
async function groupsNamed(name: string) {
  const data = ok(await gw.as(manager)(`query($s: String) { groups(filter: { search: $s }, first: 100) { edges { node { name } } } }`, { s: name }));
  return data.groups.edges.filter((e: any) => e.node.name === name).length;
}
const madeBy = (memberId: string, name: string, privacy = 'PUBLIC', viewerRole: string | null = 'ADMIN') =>
  expect.objectContaining({ name, privacy, createdBy: memberId, membersCount: 1, viewerRole, members: { edges: [{ node: { memberId, role: 'ADMIN' } }] } });

describe('createGroup', () => {
  it('is UNAUTHENTICATED for anonymous viewers', async () => {
    const response = await create(anonymous, { name: 'Nope' });
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['UNAUTHENTICATED'], data: null });
  });

  it('defaults to ADMIN_APPROVAL: a site member gets a PENDING create request and no group', async () => {
    expect(ok(await gw.as(anonymous)(`{ groupsSettings { groupCreation } }`))).toEqual({ groupsSettings: { groupCreation: 'ADMIN_APPROVAL' } });
    const data = ok(await create(alice, { name: 'Knitting circle', privacy: 'PRIVATE' }));
    expect(data.createGroup).toEqual({
      group: null,
      createRequest: { status: 'PENDING', requestedBy: 'alice', name: 'Knitting circle', privacy: 'PRIVATE', group: null },
    });
    expect(await groupsNamed('Knitting circle')).toBe(0);
  });

  it('ALL_MEMBERS: a site member creates directly and becomes its only admin', async () => {
    await setPolicy('ALL_MEMBERS');
    const data = ok(await create(alice, { name: 'Alice’s club' }));
    expect(data.createGroup).toEqual({ group: madeBy('alice', 'Alice’s club'), createRequest: null });
  });

  it('ADMINS_ONLY: FORBIDDEN for a site member, nothing created', async () => {
    await setPolicy('ADMINS_ONLY');
    const response = await create(alice, { name: 'Forbidden club' });
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['FORBIDDEN'], data: null });
    expect(await groupsNamed('Forbidden club')).toBe(0);
  });

  it.each(['ALL_MEMBERS', 'ADMIN_APPROVAL', 'ADMINS_ONLY'])('viewer.groupCreation says beforehand what createGroup does (%s)', async (policy) => {
    await setPolicy(policy);
    for (const [who, viewer] of [['anonymous', anonymous], ['alice', alice], ['manager', manager]] as const) {
      const said = ok(await gw.as(viewer)(`{ viewer { groupCreation } }`)).viewer.groupCreation;
      const response = await create(viewer, { name: `Told ${policy} ${who}` });
      const did = response.data?.createGroup?.group ? 'CREATE' : response.data?.createGroup?.createRequest ? 'REQUEST' : 'NOT_ALLOWED';
      expect({ who, said }).toEqual({ who, said: did });
      if (did === 'NOT_ALLOWED') expect(codes(response)).toEqual([who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
    }
  });

  it.each(['ALL_MEMBERS', 'ADMIN_APPROVAL', 'ADMINS_ONLY'])('a Groups Manager always creates directly (%s)', async (policy) => {
    await setPolicy(policy);
    const data = ok(await create(manager, { name: `Managed ${policy}`, privacy: 'SECRET' }));
    expect(data.createGroup).toEqual({ group: madeBy('manager', `Managed ${policy}`, 'SECRET'), createRequest: null });
  });

  it('creatorId: FORBIDDEN for a non-manager; a manager makes that member the admin', async () => {
    await setPolicy('ALL_MEMBERS');
    const response = await create(alice, { name: 'For Bob', creatorId: 'bob' });
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['FORBIDDEN'], data: null });
    expect(await groupsNamed('For Bob')).toBe(0);
    const data = ok(await create(manager, { name: 'For Bob', creatorId: 'bob' }));
    expect(data.createGroup.group).toEqual(madeBy('bob', 'For Bob', 'PUBLIC', null));
    const byBob = ok(await gw.as(bob)(`query($id: ID!) { group(id: $id) { viewerRole } }`, { id: data.createGroup.group.id }));
    expect(byBob.group.viewerRole).toBe('ADMIN');
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['overlong', 'b'.repeat(201)],
    ['with a control character', 'bob\nalice'],
    ['invisible', '\u200b'],
    ['a Hangul filler', '\u3164'],
  ])('a creatorId %s is BAD_USER_INPUT, and creates nothing', async (_label, creatorId) => {
    const response = await create(manager, { name: 'For nobody', creatorId });
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['BAD_USER_INPUT'], data: null });
    expect(await groupsNamed('For nobody')).toBe(0);
  });

  it('slugs come from the name: unique, numbered, accents stripped, other scripts transliterated, URL-safe', async () => {
    const slugOf = async (name: string, privacy = 'PUBLIC') => ok(await create(manager, { name, privacy })).createGroup.group.slug;
    expect(await slugOf('Yoga class')).toBe('yoga-class');
    expect(await slugOf('Yoga class')).toBe('yoga-class-2');
    expect(await slugOf('  YOGA -- Class!! ')).toBe('yoga-class-3');
    expect(await slugOf('Café Crème & Co')).toBe('cafe-creme-co');
    expect(await slugOf('¿Qué pasa?')).toBe('que-pasa');
    expect(await slugOf('日本語')).toBe('ribenyu');
    expect(await slugOf('🎉🎉')).toBe('group');
    expect(await slugOf('x'.repeat(100))).toMatch(/^x{60}$/);
  });

  it('a name in another script gets a transliterated slug, which groupBySlug finds', async () => {
    const made = ok(await create(manager, { name: 'Клуб бега' })).createGroup.group;
    expect(made.slug).toBe('klub-bega');
    const found = ok(await gw.as(alice)(`query($s: String!) { groupBySlug(slug: $s) { id slug name } }`, { s: 'klub-bega' }));
    expect(found.groupBySlug).toEqual({ id: made.id, slug: 'klub-bega', name: 'Клуб бега' });
    // Numbered like any other, and a secret one still takes a suffix after a double hyphen.
    expect(ok(await create(manager, { name: 'КЛУБ  БЕГА!' })).createGroup.group.slug).toBe('klub-bega-2');
    expect(ok(await create(manager, { name: 'Клуб бега', privacy: 'SECRET' })).createGroup.group.slug).toMatch(/^klub-bega--[a-z][a-z0-9]{5}$/);
  });

  it('a secret group’s slug never numbers a visible group’s slug', async () => {
    const secret = ok(await create(manager, { name: 'Yoga', privacy: 'SECRET' })).createGroup.group.slug;
    expect(secret).toMatch(/^yoga--[a-z][a-z0-9]{5}$/);
    expect(ok(await create(alice, { name: 'Yoga' })).createGroup.group.slug).toBe('yoga');
    // Not even for a creator who knows the secret slug (a former member) and names a group after it.
    const lookalike = secret.replace('--', '-'); // `yoga-k3x9q2`: free, as no visible group holds it
    expect(ok(await create(alice, { name: secret })).createGroup.group.slug).toBe(lookalike);
    expect(ok(await create(alice, { name: lookalike })).createGroup.group.slug).toBe(`${lookalike}-2`);
  });

  it('a group made SECRET later does not number a new visible group’s slug either', async () => {
    const made = ok(await create(manager, { name: 'Pilates' })).createGroup.group;
    const hidden = ok(await gw.as(manager)(`mutation($id: ID!) { updateGroup(id: $id, input: { privacy: SECRET }) { slug } }`, { id: made.id }));
    expect(hidden.updateGroup.slug).toMatch(/^pilates--[a-z][a-z0-9]{5}$/);
    expect(ok(await create(alice, { name: 'Pilates' })).createGroup.group.slug).toBe('pilates');
    // Made visible again, it takes a plain slug: a double hyphen would tell everyone it had been secret.
    const shown = ok(await gw.as(manager)(`mutation($id: ID!) { updateGroup(id: $id, input: { privacy: PRIVATE }) { slug } }`, { id: made.id }));
    expect(shown.updateGroup.slug).toBe('pilates-2');
  });

  it.each([
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a name of zero-width spaces', { name: '\u200b\u200b' }],
    ['a name of Hangul fillers', { name: '\u3164\u3164' }],
    ['a name of blank Braille', { name: '\u2800' }],
    ['a name of a lone combining mark', { name: '\u0301\ufe0f' }],
    ['a name on two lines', { name: 'a\nb' }],
    ['a name with a terminal escape', { name: '\u001b[31mred' }],
    ['a name with a line separator', { name: 'a\u2028b' }],
    ['a name with a right-to-left override', { name: 'abc\u202Eevil' }],
    ['a name with a bidi isolate', { name: 'a\u2067b' }],
    ['a 101-character name', { name: 'n'.repeat(101) }],
    ['a cover that is not a URL', { name: 'Ok', coverImageUrl: 'not a url' }],
    ['a cover that is not http(s)', { name: 'Ok', coverImageUrl: 'javascript:alert(1)' }],
    ['a 2001-character description', { name: 'Ok', description: 'd'.repeat(2001) }],
  ])('%s is BAD_USER_INPUT, for direct creation and for a request', async (_label, input) => {
    for (const [viewer, policy] of [[manager, 'ALL_MEMBERS'], [alice, 'ALL_MEMBERS'], [alice, 'ADMIN_APPROVAL']] as const) {
      await setPolicy(policy);
      const response = await create(viewer, input);
      expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['BAD_USER_INPUT'], data: null });
    }
    expect(ok(await create(manager, { name: 'n'.repeat(100) })).createGroup.group.name).toHaveLength(100);
  });

  // cuid v1 ids held a counter shared by the whole process: the gap between two of a viewer's own ids counted
  // the rows made meanwhile, those of secret groups among them. Ids are random now (cuid2).
  it('ids tell nothing of the rows made between them: no counter, no shared prefix', async () => {
    await setPolicy('ADMIN_APPROVAL');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const filed = await gw.as({ sub: 'prober' })(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`, { n: `Probe ${i}` });
      ids.push(ok(filed).createGroup.createRequest.id);
      ok(await create(manager, { name: `Hidden ${i}`, privacy: 'SECRET', creatorId: 'alice' }));
    }
    expect(new Set(ids.map((id) => id.slice(0, 6))).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]{23}$/);
  });

  it('limits count characters, not UTF-16 units: 100 emoji are a name, 101 are not', async () => {
    expect(ok(await create(manager, { name: '🧘'.repeat(100) })).createGroup.group.name).toBe('🧘'.repeat(100));
    expect(codes(await create(manager, { name: '🧘'.repeat(101) }))).toEqual(['BAD_USER_INPUT']);
    const search = (s: string) => gw.as(manager)(`query($s: String!) { groups(filter: { search: $s }) { totalCount } }`, { s });
    expect(ok(await search('🧘'.repeat(100))).groups.totalCount).toBe(1);
    expect(codes(await search('🧘'.repeat(101)))).toEqual(['BAD_USER_INPUT']);
    const id = '𝒶'.repeat(LIMITS.id); // 200 characters, 400 UTF-16 units
    const add = `mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`;
    const group = ok(await create(manager, { name: 'Long ids club' })).createGroup.group.id;
    expect(ok(await gw.as(manager)(add, { g: group, m: [id] })).addGroupMembers).toEqual([{ memberId: id }]);
    expect(codes(await gw.as(manager)(add, { g: group, m: [id + '𝒶'] }))).toEqual(['BAD_USER_INPUT']);
  });

  it('a name whose searchable form is many times longer (ﷺ is 18 letters once decomposed) is created, found and asked for', async () => {
    const name = '\uFDFA'.repeat(100);
    const made = ok(await create(manager, { name })).createGroup.group;
    expect(made.name).toBe(name);
    // Its key travels in the NAME sort's cursors, which still page on: through it and its twin, whose key
    // (cut to the same length) is the same.
    const twin = ok(await create(manager, { name: '\uFDFA'.repeat(95) + ' twin' })).createGroup.group;
    const PAGE = `query($after: String) { groups(filter: { search: "\uFDFA" }, sort: [{ field: NAME, order: ASC }], first: 1, after: $after) {
      totalCount edges { node { id } } pageInfo { endCursor } } }`;
    const first = ok(await gw.as(manager)(PAGE)).groups;
    const second = ok(await gw.as(manager)(PAGE, { after: first.pageInfo.endCursor })).groups;
    expect(first.totalCount).toBe(2);
    expect([...first.edges, ...second.edges].map((e: any) => e.node.id).sort()).toEqual([made.id, twin.id].sort());
    await setPolicy('ADMIN_APPROVAL');
    const asked = ok(await gw.as({ sub: 'h'.repeat(LIMITS.id) })(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { name } } }`, { n: name }));
    expect(asked.createGroup.createRequest).toEqual({ name });
  });

  it('names in right-to-left scripts and emoji sequences joined by zero-width joiners are names like any other', async () => {
    for (const name of ['מועדון ספר', 'نادي الكتاب', '👩‍👩‍👧 Family Picnic']) {
      expect(ok(await create(manager, { name })).createGroup.group.name).toBe(name);
    }
  });
});

/** The admin mutations, each with its variables and what an allowed call returns. */
const ADMIN_OPS = {
  updateGroup: {
    query: `mutation($id: ID!) { updateGroup(id: $id, input: { description: "Changed" }) { description } }`,
    result: { updateGroup: { description: 'Changed' } },
  },
  deleteGroup: {
    query: `mutation($id: ID!) { deleteGroup(id: $id) { deletedGroupId } }`,
    result: (id: string) => ({ deleteGroup: { deletedGroupId: id } }),
  },
  updateGroupSettings: {
    query: `mutation($id: ID!) { updateGroupSettings(groupId: $id, input: { membersCanInvite: true }) { settings { membersCanApprove membersCanInvite showMemberList } } }`,
    result: { updateGroupSettings: { settings: { membersCanApprove: false, membersCanInvite: true, showMemberList: true } } },
  },
  setGroupRules: {
    query: `mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "Be kind", description: "Always." }]) { rules { title description } } }`,
    result: { setGroupRules: { rules: [{ title: 'Be kind', description: 'Always.' }] } },
  },
  setMembershipQuestions: {
    query: `mutation($id: ID!) { setMembershipQuestions(groupId: $id, questions: [{ text: "Why?" }]) { questions { text required } } }`,
    result: { setMembershipQuestions: { questions: [{ text: 'Why?', required: false }] } },
  },
} as const;
type Op = keyof typeof ADMIN_OPS;
const PRIVACIES = ['PUBLIC', 'PRIVATE', 'SECRET'] as const;
const DENIED: [string, ViewerSpec, (p: Privacy) => string][] = [
  ['anonymous', anonymous, () => 'UNAUTHENTICATED'],
  ['a plain member', member, () => 'FORBIDDEN'],
  ['an outsider', outsider, (p) => (p === 'SECRET' ? 'NOT_FOUND' : 'FORBIDDEN')],
];
const SNAPSHOT = `query($id: ID!) { group(id: $id) { name description settings { membersCanApprove membersCanInvite showMemberList } rules { title } questions { text } } }`;

async function freshGroup(privacy: Privacy, name = `${privacy} group`) {
  const group = await createGroup(gw, { name, privacy, description: 'Original' });
  await addMembers(gw, group.id, ['member']);
  return group.id;
}

describe.each(Object.keys(ADMIN_OPS) as Op[])('%s', (op) => {
  const { query } = ADMIN_OPS[op];
  const result = ADMIN_OPS[op].result;
  const expected = (id: string) => (typeof result === 'function' ? result(id) : result);

  it.each(PRIVACIES)('on a %s group: allowed for its admin and a Groups Manager', async (privacy) => {
    for (const viewer of [admin, manager]) {
      const id = await freshGroup(privacy);
      expect(ok(await gw.as(viewer)(query, { id }))).toEqual(expected(id));
    }
  });

  it.each(PRIVACIES)('on a %s group: refused to everyone else, changing nothing', async (privacy) => {
    const id = await freshGroup(privacy);
    const before = ok(await gw.as(manager)(SNAPSHOT, { id }));
    for (const [who, viewer, code] of DENIED) {
      const response = await gw.as(viewer)(query, { id });
      expect({ who, codes: codes(response), data: response.data }).toEqual({ who, codes: [code(privacy)], data: null });
      // A refusal says who may: a person can act on it (ask an admin).
      if (code(privacy) === 'FORBIDDEN') expect(response.errors![0].message).toMatch(/^Only the group’s admins and Groups Managers may (change|delete) the group/);
    }
    expect(ok(await gw.as(manager)(SNAPSHOT, { id }))).toEqual(before);
  });

  it('on an unknown id: NOT_FOUND, even for a Groups Manager', async () => {
    for (const viewer of [admin, manager]) expect(codes(await gw.as(viewer)(query, { id: 'no-such-group' }))).toEqual(['NOT_FOUND']);
  });
});

describe('admin mutations: effects and validation', () => {
  it('deleteGroup removes the group for everyone', async () => {
    const id = await freshGroup('PUBLIC', 'Doomed');
    ok(await gw.as(admin)(ADMIN_OPS.deleteGroup.query, { id }));
    expect(ok(await gw.as(manager)(`query($id: ID!) { group(id: $id) { id } }`, { id }))).toEqual({ group: null });
  });

  it('a new group has one time: created, updated, last active, its admin joined, its event', async () => {
    const made = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "One Moment", creatorId: "admin" }) { group { id createdAt updatedAt recentActivityAt members { edges { node { joinedAt } } } } } }`)).createGroup.group;
    const [event] = await gw.app.services.db.groupEvent.findMany({ where: { groupId: made.id } });
    expect([made.updatedAt, made.recentActivityAt, made.members.edges[0].node.joinedAt, event.occurredAt.toISOString()]).toEqual(Array(4).fill(made.createdAt));
  });

  it('a change returns the group as it is after the commit, its recentActivityAt included', async () => {
    const g = await createGroup(gw, { name: 'Fresh Payload' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const FIELDS = 'description updatedAt recentActivityAt';
    for (const change of [
      `updateGroup(id: $id, input: { description: "New" }) { ${FIELDS} }`,
      `updateGroupSettings(groupId: $id, input: { membersCanInvite: true }) { ${FIELDS} }`,
      `setGroupRules(groupId: $id, rules: [{ title: "T", description: "D" }]) { ${FIELDS} }`,
    ]) {
      const data = ok(await gw.as(admin)(`mutation($id: ID!) { changed: ${change} }`, { id: g.id }));
      const read = ok(await gw.as(admin)(`query($id: ID!) { group(id: $id) { ${FIELDS} } }`, { id: g.id }));
      expect(data.changed).toEqual(read.group);
      expect(data.changed.recentActivityAt).toBe(data.changed.updatedAt);
    }
  });

  it('bad input is BAD_USER_INPUT and changes nothing', async () => {
    const id = await freshGroup('PUBLIC', 'Strict');
    const before = ok(await gw.as(manager)(SNAPSHOT, { id }));
    for (const query of [
      `mutation($id: ID!) { updateGroup(id: $id, input: { name: "  " }) { id } }`,
      `mutation($id: ID!) { updateGroup(id: $id, input: { coverImageUrl: "nope" }) { id } }`,
      `mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "Ok", description: "Ok" }, { title: "", description: "x" }]) { id } }`,
      `mutation($id: ID!) { setMembershipQuestions(groupId: $id, questions: [{ text: "" }]) { id } }`,
      // Rule titles and questions are one line, as names are: no line breaks, no text shown as another.
      ...['a\\nb', 'a\\u2028b', 'abc\\u202Eevil', 'a\\u2067b'].flatMap((text) => [
        `mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "${text}", description: "Ok" }]) { id } }`,
        `mutation($id: ID!) { setMembershipQuestions(groupId: $id, questions: [{ text: "${text}" }]) { id } }`,
      ]),
    ]) {
      expect({ query, codes: codes(await gw.as(admin)(query, { id })) }).toEqual({ query, codes: ['BAD_USER_INPUT'] });
    }
    expect(ok(await gw.as(manager)(SNAPSHOT, { id }))).toEqual(before);
    // A rule's description may run over several lines.
    const rules = ok(await gw.as(admin)(`mutation($id: ID!) { setGroupRules(groupId: $id, rules: [{ title: "Be kind", description: "One.\\nTwo." }]) { rules { description } } }`, { id }));
    expect(rules.setGroupRules.rules).toEqual([{ description: 'One.\nTwo.' }]);
  });
});

describe('groupsSettings', () => {
  it('only Groups Managers may update it', async () => {
    await setPolicy('ADMIN_APPROVAL');
    const update = `mutation { updateGroupsSettings(input: { groupCreation: ALL_MEMBERS }) { groupCreation } }`;
    for (const [viewer, code] of [[anonymous, 'UNAUTHENTICATED'], [alice, 'FORBIDDEN'], [admin, 'FORBIDDEN']] as const) {
      const response = await gw.as(viewer)(update);
      expect({ codes: codes(response), data: response.data }).toEqual({ codes: [code], data: null });
    }
    for (const viewer of [anonymous, alice, manager]) {
      expect(ok(await gw.as(viewer)(`{ groupsSettings { groupCreation } }`))).toEqual({ groupsSettings: { groupCreation: 'ADMIN_APPROVAL' } });
    }
  });
});

describe('create requests', () => {
  const REQUEST = `id status requestedBy name privacy rejectionReason decidedAt group { name slug createdBy members { edges { node { memberId role } } } }`;
  const LIST = `query($s: RequestStatus) { createRequests(status: $s, first: 100) { totalCount edges { node { name status } } } }`;
  const APPROVE = `mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { ${REQUEST} } }`;
  const REJECT = `mutation($r: [CreateRejectionInput!]!) { rejectCreateRequests(rejections: $r) { ${REQUEST} } }`;
  const ids: Record<string, string> = {};
  const request = async (viewer: ViewerSpec, name: string) => {
    ids[name] = ok(await gw.as(viewer)(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`, { n: name })).createGroup.createRequest.id;
  };
  const statusOf = async (name: string) =>
    ok(await gw.as(manager)(LIST)).createRequests.edges.find((e: any) => e.node.name === name).node.status;

  beforeAll(async () => {
    await setPolicy('ADMIN_APPROVAL');
    await request(alice, 'Weaving');
    await request(bob, 'Hiking');
    await request(alice, 'Poetry');
  });

  it('the list is for Groups Managers only', async () => {
    for (const [viewer, code] of [[anonymous, 'UNAUTHENTICATED'], [alice, 'FORBIDDEN']] as const) {
      const response = await gw.as(viewer)(LIST);
      expect({ codes: codes(response), data: response.data }).toEqual({ codes: [code], data: { createRequests: null } });
    }
    const pending = ok(await gw.as(manager)(LIST, { s: 'PENDING' })).createRequests;
    expect(pending.edges.map((e: any) => e.node.name)).toEqual(expect.arrayContaining(['Weaving', 'Hiking', 'Poetry']));
    expect(pending.totalCount).toBe(pending.edges.length);
  });

  it('approving creates the group with the requester as its admin, and links it', async () => {
    const response = await gw.as(alice)(APPROVE, { ids: [ids.Weaving] });
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['FORBIDDEN'], data: null });
    const [approved] = ok(await gw.as(manager)(APPROVE, { ids: [ids.Weaving] })).approveCreateRequests;
    expect(approved).toEqual({
      id: ids.Weaving, status: 'APPROVED', requestedBy: 'alice', name: 'Weaving', privacy: 'PUBLIC', rejectionReason: null,
      decidedAt: expect.any(String),
      group: { name: 'Weaving', slug: 'weaving', createdBy: 'alice', members: { edges: [{ node: { memberId: 'alice', role: 'ADMIN' } }] } },
    });
    expect(await groupsNamed('Weaving')).toBe(1);
  });

  it('deciding twice is CONFLICT; an unknown id is NOT_FOUND', async () => {
    expect(codes(await gw.as(manager)(APPROVE, { ids: [ids.Weaving] }))).toEqual(['CONFLICT']);
    expect(codes(await gw.as(manager)(REJECT, { r: [{ id: ids.Weaving }] }))).toEqual(['CONFLICT']);
    expect((await gw.as(manager)(APPROVE, { ids: ['no-such-request'] })).errors!.map((e) => e.extensions)).toEqual([{ code: 'NOT_FOUND', id: 'no-such-request' }]);
    expect(codes(await gw.as(manager)(REJECT, { r: [{ id: 'no-such-request' }] }))).toEqual(['NOT_FOUND']);
  });

  it('a batch with one bad id changes nothing', async () => {
    for (const bad of ['no-such-request', ids.Weaving]) {
      const response = await gw.as(manager)(APPROVE, { ids: [ids.Hiking, bad] });
      expect(codes(response)).toEqual([bad === ids.Weaving ? 'CONFLICT' : 'NOT_FOUND']);
      expect(await statusOf('Hiking')).toBe('PENDING');
      expect(await groupsNamed('Hiking')).toBe(0);
    }
    expect(codes(await gw.as(manager)(REJECT, { r: [{ id: ids.Hiking }, { id: 'no-such-request' }] }))).toEqual(['NOT_FOUND']);
    expect(await statusOf('Hiking')).toBe('PENDING');
  });

  it('rejecting records the reason; the status filter finds each kind', async () => {
    const [rejected] = ok(await gw.as(manager)(REJECT, { r: [{ id: ids.Poetry, reason: 'We already have one.' }] })).rejectCreateRequests;
    expect(rejected).toMatchObject({ status: 'REJECTED', rejectionReason: 'We already have one.', group: null, decidedAt: expect.any(String) });
    expect(await groupsNamed('Poetry')).toBe(0);
    const names = async (s: string) => ok(await gw.as(manager)(LIST, { s })).createRequests.edges.map((e: any) => e.node.name);
    expect(await names('APPROVED')).toEqual(['Weaving']);
    expect(await names('REJECTED')).toEqual(['Poetry']);
    expect(await names('PENDING')).toEqual(expect.arrayContaining(['Hiking']));
    expect(await names('PENDING')).not.toContain('Weaving');
  });

  it('viewer.createRequests shows a member their own only, newest first', async () => {
    const own = async (viewer: ViewerSpec) =>
      ok(await gw.as(viewer)(`{ viewer { createRequests(first: 100) { totalCount edges { node { requestedBy name status rejectionReason group { name } } } } } }`)).viewer.createRequests;
    const mine = await own(alice);
    expect(mine.edges.every((e: any) => e.node.requestedBy === 'alice')).toBe(true);
    expect(mine.edges.map((e: any) => e.node).filter((n: any) => ['Weaving', 'Poetry'].includes(n.name))).toEqual([
      { requestedBy: 'alice', name: 'Poetry', status: 'REJECTED', rejectionReason: 'We already have one.', group: null },
      { requestedBy: 'alice', name: 'Weaving', status: 'APPROVED', rejectionReason: null, group: { name: 'Weaving' } },
    ]);
    expect(mine.totalCount).toBe(mine.edges.length);
    expect(await own(bob)).toEqual({ totalCount: 1, edges: [{ node: { requestedBy: 'bob', name: 'Hiking', status: 'PENDING', rejectionReason: null, group: null } }] });
    expect(await own(anonymous)).toEqual({ totalCount: 0, edges: [] });
  });
});

describe('create requests: what a Groups Manager reviews, and who decided', () => {
  const FIELDS = `id status name privacy coverImageUrl settings { membersCanApprove membersCanInvite showMemberList } decidedBy`;
  const OWN = `query($s: RequestStatus) { viewer { createRequests(status: $s, first: 100) { totalCount edges { node { name status decidedBy } } } } }`;

  it('shows the cover image and settings the group will have; names the decider to managers and to the one who decided', async () => {
    await setPolicy('ADMIN_APPROVAL');
    const input = { name: 'Film Night', privacy: 'SECRET', coverImageUrl: 'https://example.com/film.png', settings: { membersCanInvite: true, showMemberList: false } };
    const filed = ok(await gw.as({ sub: 'erin' })(`mutation($input: CreateGroupInput!) { createGroup(input: $input) { createRequest { ${FIELDS} } } }`, { input }));
    const settings = { membersCanApprove: false, membersCanInvite: true, showMemberList: false };
    const id = filed.createGroup.createRequest.id;
    expect(filed.createGroup.createRequest).toEqual({
      id, status: 'PENDING', name: 'Film Night', privacy: 'SECRET', coverImageUrl: 'https://example.com/film.png', settings, decidedBy: null,
    });
    const queue = ok(await gw.as(manager)(`{ createRequests(status: PENDING, first: 100) { edges { node { ${FIELDS} } } } }`));
    expect(queue.createRequests.edges.map((e: any) => e.node)).toContainEqual({ ...filed.createGroup.createRequest });

    const [approved] = ok(await gw.as(manager)(`mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { ${FIELDS} group { coverImageUrl settings { membersCanApprove membersCanInvite showMemberList } } } }`, { ids: [id] })).approveCreateRequests;
    // What was reviewed is what the group got.
    expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: 'manager', coverImageUrl: 'https://example.com/film.png', settings });
    expect(approved.group).toEqual({ coverImageUrl: 'https://example.com/film.png', settings });
    // The requester learns the outcome, not which manager decided; their own cancel names them.
    const own = ok(await gw.as({ sub: 'erin' })(OWN, { s: 'APPROVED' })).viewer.createRequests;
    expect(own).toEqual({ totalCount: 1, edges: [{ node: { name: 'Film Night', status: 'APPROVED', decidedBy: null } }] });
    const other = ok(await gw.as({ sub: 'erin' })(`mutation { createGroup(input: { name: "Second thoughts" }) { createRequest { id } } }`)).createGroup.createRequest.id;
    ok(await gw.as({ sub: 'erin' })(`mutation($id: ID!) { cancelCreateRequest(id: $id) { id } }`, { id: other }));
    expect(ok(await gw.as({ sub: 'erin' })(OWN, { s: 'CANCELED' })).viewer.createRequests).toEqual({
      totalCount: 1, edges: [{ node: { name: 'Second thoughts', status: 'CANCELED', decidedBy: 'erin' } }],
    });
    // The status filter of a member's own list: each request under its status, all of them without one.
    expect(ok(await gw.as({ sub: 'erin' })(OWN, { s: 'PENDING' })).viewer.createRequests.totalCount).toBe(0);
    expect(ok(await gw.as({ sub: 'erin' })(OWN, {})).viewer.createRequests.edges.map((e: any) => e.node.name)).toEqual(['Second thoughts', 'Film Night']);
  });
});

describe('create requests: one pending per member and name, and canceling one’s own', () => {
  const frank: ViewerSpec = { sub: 'frank' };
  const grace: ViewerSpec = { sub: 'grace' };
  const FILE = `mutation($n: String!) { createGroup(input: { name: $n }) { group { id } createRequest { id status name requestedBy } } }`;
  const CANCEL = `mutation($id: ID!) { cancelCreateRequest(id: $id) { id status requestedBy name decidedAt group { id } } }`;
  const APPROVE = `mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { id status } }`;
  const REJECT = `mutation($r: [CreateRejectionInput!]!) { rejectCreateRequests(rejections: $r) { id status } }`;
  const file = (viewer: ViewerSpec, name: string) => gw.as(viewer)(FILE, { n: name });
  const filed = async (viewer: ViewerSpec, name: string): Promise<string> => {
    const data = ok(await file(viewer, name));
    expect(data.createGroup).toMatchObject({ group: null, createRequest: { status: 'PENDING', name: name.trim() } });
    return data.createGroup.createRequest.id;
  };
  const cancel = (viewer: ViewerSpec, id: string) => gw.as(viewer)(CANCEL, { id });
  /** The viewer's own requests for `name` (exactly as stored), newest first, as { id, status }. */
  const own = async (viewer: ViewerSpec, name: string) =>
    ok(await gw.as(viewer)(`{ viewer { createRequests(first: 100) { edges { node { id name status } } } } }`)).viewer.createRequests.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.name.trim().toLowerCase() === name.trim().toLowerCase())
      .map((n: any) => ({ id: n.id, status: n.status }));
  const statusOf = async (id: string) =>
    ok(await gw.as(manager)(`{ createRequests(first: 100) { edges { node { id status } } } }`)).createRequests.edges.find((e: any) => e.node.id === id)
      ?.node.status;

  beforeAll(async () => {
    await setPolicy('ADMIN_APPROVAL');
  });

  it('a second pending request for the same name (trimmed, any case) is CONFLICT, and files nothing', async () => {
    const first = await filed(frank, 'Book Club');
    for (const again of ['Book Club', '  book CLUB ', 'BOOK CLUB']) {
      const response = await file(frank, again);
      expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['CONFLICT'], data: null });
      expect(response.errors![0].message).toBe(
        `You already asked for a group named "${again.trim()}"; wait for a Groups Manager to decide, or cancel that request first.`,
      );
    }
    expect(await own(frank, 'Book Club')).toEqual([{ id: first, status: 'PENDING' }]);
    // Another name, or the same name asked by another member, is a request of its own.
    await filed(frank, 'Book Club Two');
    await filed(grace, 'Book Club');
    expect(await own(grace, 'Book Club')).toHaveLength(1);
  });

  it('two identical requests at once: one is filed, the other is CONFLICT', async () => {
    for (const [a, b] of [['Chess', 'Chess'], ['Go Club', ' go club'], ['Darts', 'DARTS']]) {
      const responses = await Promise.all([file(frank, a), file(frank, b)]);
      expect(responses.map((r) => codes(r)).sort()).toEqual([[], ['CONFLICT']]);
      const winner = responses.find((r) => !r.errors)!;
      expect(await own(frank, a)).toEqual([{ id: winner.data.createGroup.createRequest.id, status: 'PENDING' }]);
    }
  });

  it('the requester cancels their own pending request, and may then ask for that name again', async () => {
    const id = await filed(frank, 'Origami');
    const canceled = ok(await cancel(frank, id)).cancelCreateRequest;
    expect(canceled).toEqual({ id, status: 'CANCELED', requestedBy: 'frank', name: 'Origami', decidedAt: expect.any(String), group: null });
    expect(await statusOf(id)).toBe('CANCELED');
    // A canceled request is no longer pending: nothing for a Groups Manager to decide, no group made.
    expect(codes(await gw.as(manager)(APPROVE, { ids: [id] }))).toEqual(['CONFLICT']);
    expect(codes(await gw.as(manager)(REJECT, { r: [{ id }] }))).toEqual(['CONFLICT']);
    expect(await groupsNamed('Origami')).toBe(0);
    const again = await filed(frank, 'origami');
    expect(await own(frank, 'Origami')).toEqual([{ id: again, status: 'PENDING' }, { id, status: 'CANCELED' }]);
  });

  it('a group its requester creates once the site allows it, or a Groups Manager creates for them, fulfills their pending request of that name', async () => {
    const REQUEST = `query($id: ID!) { node(id: $id) { ... on CreateRequest { status decidedBy group { id name } } } }`;
    const asked = await filed(frank, 'Lifecycle Alpha');
    const othersAsk = await filed(grace, 'Lifecycle Alpha');
    const unrelated = await filed(frank, 'Lifecycle Beta');
    await setPolicy('ALL_MEMBERS');
    try {
      const created = ok(await file(frank, '  lifecycle ALPHA ')).createGroup.group;
      expect(ok(await gw.as(frank)(REQUEST, { id: asked })).node).toEqual({ status: 'APPROVED', decidedBy: 'frank', group: { id: created.id, name: 'lifecycle ALPHA' } });
      // Approving it now would have made a second group of that name: it is no longer pending.
      expect(codes(await gw.as(manager)(APPROVE, { ids: [asked] }))).toEqual(['CONFLICT']);
      expect(await groupsNamed('lifecycle ALPHA')).toBe(1);
      // Another member's request of that name, and the requester's other requests, stay pending.
      expect([await statusOf(othersAsk), await statusOf(unrelated)]).toEqual(['PENDING', 'PENDING']);
    } finally {
      await setPolicy('ADMIN_APPROVAL');
    }
    const kiln = await filed(frank, 'Kiln');
    const made = ok(await gw.as(manager)(`mutation { createGroup(input: { name: "Kiln", creatorId: "frank" }) { group { id } } }`)).createGroup.group;
    // Decided by the Groups Manager, whom managers see named (the requester does not).
    expect(ok(await gw.as(manager)(REQUEST, { id: kiln })).node).toEqual({ status: 'APPROVED', decidedBy: 'manager', group: { id: made.id, name: 'Kiln' } });
    expect(ok(await gw.as(frank)(REQUEST, { id: kiln })).node).toMatchObject({ status: 'APPROVED', group: { id: made.id } });
    expect(await own(frank, 'Kiln')).toEqual([{ id: kiln, status: 'APPROVED' }]);
  });

  it('only a group made as it was asked for (privacy and settings) fulfils a request: a PUBLIC group never grants a SECRET one', async () => {
    const REQUEST = `query($id: ID!) { node(id: $id) { ... on CreateRequest { status privacy settings { showMemberList } group { id privacy } } } }`;
    const CREATE = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id privacy } createRequest { id status } } }`;
    const asked = ok(await gw.as(frank)(CREATE, { input: { name: 'Night Den', privacy: 'SECRET', settings: { showMemberList: false } } })).createGroup.createRequest.id;
    // A Groups Manager makes a group of that name for frank, PUBLIC (the default): not what he asked for.
    const open = ok(await gw.as(manager)(CREATE, { input: { name: 'night den', creatorId: 'frank' } })).createGroup.group;
    expect(open.privacy).toBe('PUBLIC');
    // Before, the request read APPROVED (SECRET, hidden list) and linked to the PUBLIC group.
    expect(ok(await gw.as(frank)(REQUEST, { id: asked })).node).toEqual({ status: 'PENDING', privacy: 'SECRET', settings: { showMemberList: false }, group: null });
    // The same privacy with another setting does not either.
    ok(await gw.as(manager)(CREATE, { input: { name: 'Night Den', privacy: 'SECRET', creatorId: 'frank' } }));
    expect(await statusOf(asked)).toBe('PENDING');
    // Made as asked, it is fulfilled.
    const made = ok(await gw.as(manager)(CREATE, { input: { name: 'Night Den', privacy: 'SECRET', settings: { showMemberList: false }, creatorId: 'frank' } })).createGroup.group;
    expect(ok(await gw.as(frank)(REQUEST, { id: asked })).node).toEqual({ status: 'APPROVED', privacy: 'SECRET', settings: { showMemberList: false }, group: { id: made.id, privacy: 'SECRET' } });

    // An unkeyed request (filed before pendingKey) is compared the same way.
    const old = ok(await gw.as(frank)(CREATE, { input: { name: 'Dawn Den', privacy: 'PRIVATE' } })).createGroup.createRequest.id;
    await gw.app.services.db.createRequest.update({ where: { id: old }, data: { pendingKey: null } });
    ok(await gw.as(manager)(CREATE, { input: { name: 'Dawn Den', creatorId: 'frank' } }));
    expect(await statusOf(old)).toBe('PENDING');
    ok(await gw.as(manager)(CREATE, { input: { name: 'Dawn Den', privacy: 'PRIVATE', creatorId: 'frank' } }));
    expect(await statusOf(old)).toBe('APPROVED');
  });

  it('requests filed before pendingKey existed (no key, duplicates possible) are fulfilled by a direct creation too, the oldest first', async () => {
    const REQUEST = `query($id: ID!) { node(id: $id) { ... on CreateRequest { status decidedBy group { id } } } }`;
    const ids = [await filed(frank, 'Lifecycle Gamma'), await filed(frank, 'Lifecycle Delta'), await filed(frank, 'Lifecycle Epsilon')];
    const other = await filed(grace, 'Lifecycle Zeta');
    const db = gw.app.services.db;
    // As the migration left them: no key, and the same name asked for twice (nothing stopped that before the key).
    await db.createRequest.updateMany({ where: { id: { in: [...ids, other] } }, data: { pendingKey: null } });
    await db.createRequest.update({ where: { id: ids[1] }, data: { name: 'LIFECYCLE gamma' } });
    await db.createRequest.update({ where: { id: other }, data: { name: 'Lifecycle Gamma' } });
    await setPolicy('ALL_MEMBERS');
    try {
      const created = ok(await file(frank, 'Lifecycle Gamma')).createGroup.group;
      // The oldest of the two is fulfilled (a group is linked to one request); the later duplicate, another
      // name, and another member's request of that name stay pending.
      expect(ok(await gw.as(frank)(REQUEST, { id: ids[0] })).node).toEqual({ status: 'APPROVED', decidedBy: 'frank', group: { id: created.id } });
      expect([await statusOf(ids[1]), await statusOf(ids[2]), await statusOf(other)]).toEqual(['PENDING', 'PENDING', 'PENDING']);
      expect(codes(await gw.as(manager)(APPROVE, { ids: [ids[0]] }))).toEqual(['CONFLICT']);
      expect(await groupsNamed('Lifecycle Gamma')).toBe(1);
      // A second creation of that name fulfils the duplicate.
      const again = ok(await file(frank, 'Lifecycle Gamma')).createGroup.group;
      expect(ok(await gw.as(frank)(REQUEST, { id: ids[1] })).node).toEqual({ status: 'APPROVED', decidedBy: 'frank', group: { id: again.id } });
    } finally {
      await setPolicy('ADMIN_APPROVAL');
    }
  });

  it('someone else’s request and an unknown id are both NOT_FOUND, in the same words; a Groups Manager is FORBIDDEN', async () => {
    const id = await filed(frank, 'Pottery');
    const others = await cancel(grace, id);
    const unknown = await cancel(grace, 'no-such-request');
    expect({ codes: codes(others), data: others.data }).toEqual({ codes: ['NOT_FOUND'], data: null });
    expect({ codes: codes(unknown), data: unknown.data }).toEqual({ codes: ['NOT_FOUND'], data: null });
    expect(others.errors![0].message).toBe(unknown.errors![0].message);
    // Even once decided, another member's request stays NOT_FOUND (never CONFLICT, which would tell it exists).
    const rejectedId = await filed(frank, 'Quilting');
    ok(await gw.as(manager)(REJECT, { r: [{ id: rejectedId }] }));
    expect(codes(await cancel(grace, rejectedId))).toEqual(['NOT_FOUND']);
    expect(codes(await cancel(frank, 'no-such-request'))).toEqual(['NOT_FOUND']);
    // Groups Managers decide others' requests (rejectCreateRequests), they do not withdraw them.
    const byManager = await cancel(manager, id);
    expect({ codes: codes(byManager), data: byManager.data }).toEqual({ codes: ['FORBIDDEN'], data: null });
    expect(await statusOf(id)).toBe('PENDING');
  });

  it('anonymous: UNAUTHENTICATED, nothing changes', async () => {
    const id = await filed(frank, 'Stargazing');
    const response = await cancel(anonymous, id);
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['UNAUTHENTICATED'], data: null });
    expect(await statusOf(id)).toBe('PENDING');
  });

  it('a request already decided or canceled is CONFLICT; deciding frees the name too', async () => {
    const canceled = await filed(frank, 'Kites');
    ok(await cancel(frank, canceled));
    const rejected = await filed(frank, 'Kites');
    ok(await gw.as(manager)(REJECT, { r: [{ id: rejected, reason: 'Not now.' }] }));
    const approved = await filed(frank, 'Kites');
    ok(await gw.as(manager)(APPROVE, { ids: [approved] }));
    for (const [id, status] of [[canceled, 'canceled'], [rejected, 'rejected'], [approved, 'approved']]) {
      const response = await cancel(frank, id);
      expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['CONFLICT'], data: null });
      expect(response.errors![0].message).toBe(`Your request for "Kites" was already ${status}.`);
    }
    expect(await own(frank, 'Kites')).toEqual([
      { id: approved, status: 'APPROVED' },
      { id: rejected, status: 'REJECTED' },
      { id: canceled, status: 'CANCELED' },
    ]);
    expect(await groupsNamed('Kites')).toBe(1);
  });

  it('canceling while a Groups Manager approves: exactly one wins, the other is CONFLICT', async () => {
    for (const name of ['Race One', 'Race Two', 'Race Three']) {
      const id = await filed(frank, name);
      const [canceled, approved] = await Promise.all([cancel(frank, id), gw.as(manager)(APPROVE, { ids: [id] })]);
      expect([codes(canceled), codes(approved)]).toContainEqual(['CONFLICT']);
      expect([codes(canceled), codes(approved)]).toContainEqual([]);
      const status = await statusOf(id);
      expect(status).toBe(canceled.errors ? 'APPROVED' : 'CANCELED');
      expect(await groupsNamed(name)).toBe(status === 'APPROVED' ? 1 : 0);
    }
  });
});

describe('several mutations in one document', () => {
  const create = (alias: string, name: string) => `${alias}: createGroup(input: { name: "${name}", creatorId: "admin" }) { group { id } }`;
  const missing = `failing: deleteGroup(id: "no-such-group") { deletedGroupId }`;

  it('run in order and stop at the first that fails: those before it are saved, those after it never run', async () => {
    const response = await gw.as(manager)(`mutation { ${create('first', 'Serial one')} ${missing} ${create('last', 'Serial three')} }`);
    // Every payload is non-null, so the failure empties `data` (GraphQL's rule); what ran is saved.
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['NOT_FOUND'], data: null });
    expect(await groupsNamed('Serial one')).toBe(1);
    expect(await groupsNamed('Serial three')).toBe(0);
  });

  it('also when the mutations come in fragments', async () => {
    const response = await gw.as(manager)(
      `mutation { ...Failing ... on Mutation { ${create('after', 'Serial fragment')} } } fragment Failing on Mutation { ${missing} }`,
    );
    expect({ codes: codes(response), data: response.data }).toEqual({ codes: ['NOT_FOUND'], data: null });
    expect(await groupsNamed('Serial fragment')).toBe(0);
  });
});

describe('create requests decided at once', () => {
  const APPROVE = `mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { id status requestedBy group { slug createdBy members { edges { node { memberId role } } } } } }`;
  beforeAll(async () => {
    await setPolicy('ADMIN_APPROVAL');
  });

  it('two overlapping batches at once: one approves, the other changes nothing; one name in a batch gets slugs of its own', async () => {
    const file = async (sub: string, privacy: string) =>
      ok(await gw.as({ sub })(`mutation($p: GroupPrivacy) { createGroup(input: { name: "Archery", privacy: $p }) { createRequest { id } } }`, { p: privacy }))
        .createGroup.createRequest.id as string;
    const [ivy, jack, kim] = [await file('ivy', 'PUBLIC'), await file('jack', 'PRIVATE'), await file('kim', 'SECRET')];
    const responses = await Promise.all([gw.as(manager)(APPROVE, { ids: [ivy, jack] }), gw.as(manager)(APPROVE, { ids: [jack, kim] })]);
    expect(responses.map((r) => codes(r)).sort()).toEqual([[], ['CONFLICT']]);
    const won = responses.find((r) => !r.errors)!.data!.approveCreateRequests;
    const left = won[0].id === ivy ? kim : ivy;
    expect(await groupsNamed('Archery')).toBe(2);
    const [last] = ok(await gw.as(manager)(APPROVE, { ids: [left] })).approveCreateRequests;
    const approved = [...won, last];
    // Each group is its requester's, and the visible ones are numbered; the secret one's slug tells nothing.
    expect(approved.map((r: any) => [r.requestedBy, r.group.createdBy, r.group.members.edges.map((e: any) => e.node)])).toEqual(
      approved.map((r: any) => [r.requestedBy, r.requestedBy, [{ memberId: r.requestedBy, role: 'ADMIN' }]]),
    );
    const slugs = Object.fromEntries(approved.map((r: any) => [r.requestedBy, r.group.slug]));
    expect(slugs.kim).toMatch(/^archery--[a-z][a-z0-9]{5}$/);
    expect([slugs.ivy, slugs.jack].sort()).toEqual(['archery', 'archery-2']);
    expect(await groupsNamed('Archery')).toBe(3);
  });

  it('two batches at once that make groups of the same names, in opposite orders: both approve, every slug its own', async () => {
    // When both read the slugs before either has written its own, the second to write meets the first's on the
    // unique index (PostgreSQL waits for the first's commit), and is run again from the start.
    for (const round of [1, 2, 3]) {
      const [one, two] = [`Alpha ${round}`, `Beta ${round}`];
      const file = async (sub: string, name: string) =>
        ok(await gw.as({ sub })(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`, { n: name })).createGroup.createRequest.id as string;
      const first = [await file('ivy', one), await file('ivy', two)];
      const second = [await file('jack', two), await file('jack', one)];
      const responses = await Promise.all([gw.as(manager)(APPROVE, { ids: first }), gw.as(manager)(APPROVE, { ids: second })]);
      expect(responses.map((r) => codes(r))).toEqual([[], []]);
      const slugs = responses.flatMap((r) => r.data!.approveCreateRequests.map((request: any) => request.group.slug)).sort();
      expect(slugs).toEqual([`alpha-${round}`, `alpha-${round}-2`, `beta-${round}`, `beta-${round}-2`]);
    }
  });
});

// Last in the file: it leaves approved create requests that the lists above would count.
describe('slugs under concurrency', () => {
  it('a Groups Manager’s direct creation racing the approval of its creator’s request of that name: one fulfils it, and they never deadlock', async () => {
    const db = gw.app.services.db;
    const postgres = gw.databaseUrl.startsWith('postgres');
    const deadlocks = async () => {
      if (!postgres) return 0;
      const [row] = await db.$queryRaw<{ deadlocks: bigint }[]>`SELECT "deadlocks" FROM pg_stat_database WHERE "datname" = current_database()`;
      return Number(row.deadlocks);
    };
    const before = await deadlocks();
    const policy = ok(await gw.as(manager)(`{ groupsSettings { groupCreation } }`)).groupsSettings.groupCreation;
    await setPolicy('ADMIN_APPROVAL');
    try {
      for (let i = 0; i < 12; i++) {
        const name = `Raced Request ${i}`;
        const requester = { sub: `racer-${i}` };
        const id = ok(await gw.as(requester)(`mutation($n: String!) { createGroup(input: { name: $n }) { createRequest { id } } }`, { n: name })).createGroup.createRequest.id;
        const [approved, created] = await Promise.all([
          gw.as(manager)(`mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { status } }`, { ids: [id] }),
          gw.as(manager)(`mutation($n: String!, $c: ID!) { createGroup(input: { name: $n, creatorId: $c }) { group { id } } }`, { n: name, c: requester.sub }),
        ]);
        expect(codes(created)).toEqual([]);
        expect([[], ['CONFLICT']]).toContainEqual(codes(approved));
        const request = ok(await gw.as(manager)(`query($id: ID!) { node(id: $id) { ... on CreateRequest { status group { id } } } }`, { id })).node;
        expect(request.status).toBe('APPROVED');
        // The approval lost: the request is the direct creation's. It won: the direct creation is a group more.
        if (codes(approved).length) expect(request.group.id).toBe(created.data.createGroup.group.id);
      }
    } finally {
      await setPolicy(policy);
    }
    if (postgres) await new Promise((resolve) => setTimeout(resolve, 1_500)); // statistics reach the view within a second
    expect(await deadlocks()).toBe(before);
  });

  it('many writers of one name at once each get a slug of their own: creating, approving, a secret group made visible', async () => {
    const numbered = (base: string, n: number) => [base, ...Array.from({ length: n - 1 }, (_, i) => `${base}-${i + 2}`)].sort();
    // Ten creations at once (on PostgreSQL, six or more used to leave some with INTERNAL_SERVER_ERROR).
    const created = await Promise.all(Array.from({ length: 10 }, () => create(manager, { name: 'Crowded Name' })));
    expect(created.flatMap((r) => codes(r))).toEqual([]);
    expect(created.map((r) => r.data.createGroup.group.slug).sort()).toEqual(numbered('crowded-name', 10));

    // Eight members' requests for one name, approved in eight calls at once.
    const policy = ok(await gw.as(manager)(`{ groupsSettings { groupCreation } }`)).groupsSettings.groupCreation;
    await setPolicy('ADMIN_APPROVAL');
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const filed = ok(await gw.as({ sub: `crowd-${i}` })(`mutation { createGroup(input: { name: "Crowded Request" }) { createRequest { id } } }`));
      ids.push(filed.createGroup.createRequest.id);
    }
    await setPolicy(policy);
    const approved = await Promise.all(ids.map((id) => gw.as(manager)(`mutation($ids: [ID!]!) { approveCreateRequests(ids: $ids) { status group { slug } } }`, { ids: [id] })));
    expect(approved.flatMap((r) => codes(r))).toEqual([]);
    expect(approved.map((r) => r.data.approveCreateRequests[0].group.slug).sort()).toEqual(numbered('crowded-request', 8));

    // Six secret groups of one name made PUBLIC at once.
    const secret = await Promise.all(Array.from({ length: 6 }, async () => ok(await create(manager, { name: 'Crowded Secret', privacy: 'SECRET' })).createGroup.group.id));
    const opened = await Promise.all(secret.map((id) => gw.as(manager)(`mutation($id: ID!) { updateGroup(id: $id, input: { privacy: PUBLIC }) { slug } }`, { id })));
    expect(opened.flatMap((r) => codes(r))).toEqual([]);
    expect(opened.map((r) => r.data.updateGroup.slug).sort()).toEqual(numbered('crowded-secret', 6));
  });
});
