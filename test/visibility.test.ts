/**
 * The `where` fragments and SQL conditions (visibility.ts) and the predicates (policy.ts) say the same thing: for every
 * combination of viewer, privacy, the viewer's role and the settings, a group row matches the fragment in
 * the database exactly when the predicate holds for it. This is what keeps "one policy" true for lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canReadMembers, canSeeContent, canSeeGroup, type GroupFacts } from '../src/auth/policy.ts';
import {
  contentVisibleGroupsSql,
  contentVisibleGroupsWhere,
  membersReadableGroupsSql,
  membersReadableGroupsWhere,
  visibleGroupsSql,
  visibleGroupsWhere,
} from '../src/auth/visibility.ts';
import { ANONYMOUS, type Viewer } from '../src/auth/viewer.ts';
import { startGateway, type TestGateway } from './helpers/gateway.ts';

let gw: TestGateway;
const rows: (GroupFacts & { id: string; role: 'MEMBER' | 'ADMIN' | null })[] = [];

beforeAll(async () => {
  gw = await startGateway();
  const db = gw.app.services.db;
  let n = 0;
  for (const privacy of ['PUBLIC', 'PRIVATE', 'SECRET'] as const) {
    for (const role of [null, 'MEMBER', 'ADMIN'] as const) {
      for (const showMemberList of [true, false]) {
        for (const membersCanApprove of [true, false]) {
          const facts = { privacy, showMemberList, membersCanApprove, membersCanInvite: false };
          const group = await db.group.create({
            data: { ...facts, name: `g${n}`, nameSearch: `g${n}`, slug: `g${n++}` },
          });
          await db.groupMember.create({ data: { groupId: group.id, memberId: 'someone-else', role: 'ADMIN' } });
          if (role) await db.groupMember.create({ data: { groupId: group.id, memberId: 'viewer', role } });
          rows.push({ ...facts, id: group.id, role });
        }
      }
    }
  }
});
afterAll(() => gw.close());

const viewers: [string, Viewer][] = [
  ['anonymous', ANONYMOUS],
  ['site member', { memberId: 'viewer', name: null, isGroupsManager: false, expiresAt: null }],
  ['groups manager', { memberId: 'viewer', name: null, isGroupsManager: true, expiresAt: null }],
];

describe.each(viewers)('for the %s viewer', (_name, viewer) => {
  const pairs = [
    ['visibleGroupsWhere = canSeeGroup', visibleGroupsWhere, canSeeGroup],
    ['contentVisibleGroupsWhere = canSeeContent', contentVisibleGroupsWhere, canSeeContent],
    ['membersReadableGroupsWhere = canReadMembers', membersReadableGroupsWhere, canReadMembers],
  ] as const;
  it.each(pairs)('%s', async (_label, where, predicate) => {
    const matched = await gw.app.services.db.group.findMany({ where: where(viewer), select: { id: true } });
    const fromSql = new Set(matched.map((g) => g.id));
    // An anonymous viewer is nobody's member, whatever role the row was seeded with.
    const expected = rows.filter((r) => predicate(viewer, r, viewer.memberId ? r.role : null)).map((r) => r.id);
    expect([...fromSql].sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });
});

describe.each(viewers)('as SQL, for the %s viewer', (_name, viewer) => {
  const pairs = [
    ['visibleGroupsSql = canSeeGroup', visibleGroupsSql, canSeeGroup],
    ['contentVisibleGroupsSql = canSeeContent', contentVisibleGroupsSql, canSeeContent],
    ['membersReadableGroupsSql = canReadMembers', membersReadableGroupsSql, canReadMembers],
  ] as const;
  it.each(pairs)('%s', async (_label, condition, predicate) => {
    const matched = await gw.app.services.db.$queryRaw<{ id: string }[]>`SELECT g."id" FROM "Group" g WHERE ${condition(viewer)}`;
    const expected = rows.filter((r) => predicate(viewer, r, viewer.memberId ? r.role : null)).map((r) => r.id);
    expect(matched.map((g) => g.id).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });
});
