/**
 * The demo world: a few groups of each privacy with members, questions, rules, a pending join request and a
 * pending create request. Written through the gateway's own domain functions, so counts and the event log are
 * exactly what real use would leave. `--if-empty` seeds only a database without groups (what `npm start` does).
 *
 * Demo members: alice (admin of Morning Yoga and the secret Board), bob (admin of Marathon Training), carol,
 * dave (waiting to join Marathon Training), erin (on the Board), frank (asked to create a group), and
 * manager (a Groups Manager). Get a token for any of them with `npm run token -- --sub <name>`. Each has a
 * display name (Alice Moreau, ...), as if they had signed in with it (db/member-names.ts).
 */
import { configOrExit } from '../src/config.ts';
import { createDb } from '../src/db/client.ts';
import { createEventBus } from '../src/pubsub.ts';
import { Audience } from '../src/live/audience.ts';
import { createLoaders } from '../src/loaders.ts';
import { secretKey, type Viewer } from '../src/auth/viewer.ts';
import { tokenVerifier } from '../src/auth/tokens.ts';
import type { Context } from '../src/context.ts';
import { MemberNameRecorder, writeMemberNames } from '../src/db/member-names.ts';
import * as groups from '../src/domain/groups.ts';
import * as membership from '../src/domain/membership.ts';

// Never demo data in a production database: skipped on start-up (`--if-empty`, what `npm start` runs),
// refused when asked for (`npm run seed`), since its members, groups and requests would mix with real ones.
// Decided before the configuration is read, so a production start-up missing JWT_SECRET is reported once,
// by the gateway.
if (process.env.NODE_ENV === 'production') {
  if (process.argv.includes('--if-empty')) {
    console.log('Demo seed skipped: NODE_ENV=production.');
    process.exit(0);
  }
  console.error('The demo seed is not loaded with NODE_ENV=production: its members, groups and requests would mix with real ones.');
  process.exit(1);
}
const config = configOrExit({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' });
const db = createDb(config.databaseUrl);

/** The demo members' display names (ivan and mallory never signed in with one: their lists show none). */
const NAMES: Record<string, string> = {
  alice: 'Alice Moreau',
  bob: 'Bob Okafor',
  carol: 'Carol Lindqvist',
  dave: 'Dave Tanaka',
  erin: 'Erin Walsh',
  frank: 'Frank Osei',
  grace: 'Grace Kim',
  heidi: 'Heidi Brandt',
  judy: 'Judy Alvarez',
  oscar: 'Oscar Petrov',
  manager: 'Maria Santos (Groups Manager)',
};

function as(memberId: string, isGroupsManager = false) {
  const viewer: Viewer = { memberId, name: NAMES[memberId] ?? null, isGroupsManager, expiresAt: null };
  const ctx: Context = {
    db,
    config,
    events: createEventBus(),
    audience: new Audience(db, config.jwtSecret),
    tokens: tokenVerifier(secretKey(config.jwtSecret), config.tokens),
    memberNames: new MemberNameRecorder(db, () => undefined), // the seed verifies no token
    viewer,
    loaders: createLoaders(db, viewer),
  };
  return ctx as Context & { viewer: Viewer & { memberId: string } };
}

async function seed() {
  if (process.argv.includes('--if-empty') && (await db.group.count()) > 0) {
    console.log('Demo seed skipped: the database already has groups.');
    return;
  }
  // As if each had signed in long ago (issuedAt 0): the name of any token they sign in with replaces it.
  await writeMemberNames(db, Object.entries(NAMES).map(([memberId, name]) => ({ memberId, name, issuedAt: 0 })));
  const manager = as('manager', true);
  const yoga = await groups.createGroup(manager, { name: 'Morning Yoga', description: 'Sun salutations at 7, every weekday.', privacy: 'PUBLIC' }, 'alice');
  await groups.setGroupRules(as('alice'), yoga.id, [
    { title: 'Be kind', description: 'Encourage each other; everyone starts somewhere.' },
    { title: 'Bring a mat', description: 'We have a few spares, but not many.' },
  ]);
  await membership.joinGroup(as('carol'), yoga.id, []);
  await membership.addGroupMembers(as('alice'), yoga.id, ['bob']);

  const marathon = await groups.createGroup(manager, { name: 'Marathon Training', description: 'Long runs on Sundays.', privacy: 'PRIVATE', settings: { membersCanInvite: true } }, 'bob');
  await groups.setMembershipQuestions(as('bob'), marathon.id, [
    { text: 'What is your best 10k time?', required: true },
    { text: 'Anything we should know?', required: false },
  ]);
  const questions = await db.membershipQuestion.findMany({ where: { groupId: marathon.id }, orderBy: { position: 'asc' } });
  await membership.addGroupMembers(as('bob'), marathon.id, ['carol']);
  await membership.joinGroup(as('dave'), marathon.id, [{ questionId: questions[0].id, text: '52 minutes' }]);

  const board = await groups.createGroup(manager, { name: 'Board of Directors', privacy: 'SECRET', settings: { showMemberList: false } }, 'alice');
  await membership.addGroupMembers(as('alice'), board.id, ['erin']);

  await groups.createGroup(manager, { name: 'Chess Club', privacy: 'PUBLIC', settings: { membersCanApprove: true } }, 'carol');
  // A second copy of the demo (`npm run seed` again) keeps frank's first request while it is pending: he may
  // not ask twice for the same name (CONFLICT), so that one step is skipped rather than the seed stopped.
  const pendingBookClub = await db.createRequest.count({ where: { requestedBy: 'frank', status: 'PENDING', name: 'Book Club' } });
  if (pendingBookClub === 0) {
    await groups.requestGroupCreation(as('frank'), { name: 'Book Club', description: 'One novel a month.', privacy: 'PRIVATE' }, 'frank');
  }
  await db.groupsSettings.upsert({ where: { id: 1 }, create: { id: 1, groupCreation: 'ADMIN_APPROVAL' }, update: {} });

  // A few dozen more groups of each privacy, so lists, sorting and paging have something to show. The
  // choices are a fixed function of the index, so every seed is the same world.
  const topics = ['Running', 'Chess', 'Gardening', 'Photography', 'Cooking', 'Cycling', 'Poetry', 'Climbing', 'Jazz', 'Robotics'];
  const people = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];
  const privacies = ['PUBLIC', 'PRIVATE', 'SECRET'] as const;
  let made = 4;
  for (let i = 0; i < 45; i++) {
    const privacy = privacies[i % 3];
    const adminId = people[(i * 7) % people.length];
    const group = await groups.createGroup(manager, { name: `${topics[i % topics.length]} circle ${Math.floor(i / topics.length) + 1}`, privacy }, adminId);
    const others = people.filter((p) => p !== adminId).slice(0, (i * 5) % 9);
    if (others.length) await membership.addGroupMembers(as(adminId), group.id, others);
    const outsider = people.find((p) => p !== adminId && !others.includes(p));
    if (privacy === 'PRIVATE' && outsider && i % 2 === 0) await membership.joinGroup(as(outsider), group.id, []);
    made++;
  }
  console.log(`Demo seed loaded: ${made} groups (public, private, secret) with members, join requests and a create request.`);
}

try {
  await seed();
} finally {
  await db.$disconnect();
}
