/**
 * The demo world: a few groups of each privacy with members, questions, rules, a pending join request and a
 * pending create request. Written through the gateway's own domain functions, so counts and the event log are
 * exactly what real use would leave. `--if-empty` seeds only a database without groups (what `npm start` does).
 *
 * Demo members: alice (admin of Morning Yoga and the secret Board), bob (admin of Marathon Training), carol,
 * dave (waiting to join Marathon Training), erin (on the Board), frank (asked to create a group), and
 * manager (a Groups Manager). Get a token for any of them with `npm run token -- --sub <name>`.
 */
import { loadConfig } from '../src/config.ts';
import { createDb } from '../src/db/client.ts';
import { createEventBus } from '../src/pubsub.ts';
import { Audience } from '../src/live/audience.ts';
import { createLoaders } from '../src/loaders.ts';
import { secretKey, type Viewer } from '../src/auth/viewer.ts';
import type { Context } from '../src/context.ts';
import * as groups from '../src/domain/groups.ts';
import * as membership from '../src/domain/membership.ts';

const config = loadConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' });
if (config.nodeEnv === 'production' && process.argv.includes('--if-empty')) {
  process.exit(0); // never put demo data into a production database on start-up
}
const db = createDb(config.databaseUrl);

function as(memberId: string, isGroupsManager = false) {
  const viewer: Viewer = { memberId, name: memberId, isGroupsManager, expiresAt: null };
  const ctx: Context = {
    db,
    config,
    events: createEventBus(),
    audience: new Audience(db),
    jwtKey: secretKey(config.jwtSecret),
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
  await groups.requestGroupCreation(as('frank'), { name: 'Book Club', description: 'One novel a month.', privacy: 'PRIVATE' }, 'frank');
  await db.groupsSettings.upsert({ where: { id: 1 }, create: { id: 1, groupCreation: 'ADMIN_APPROVAL' }, update: {} });
  console.log('Demo seed loaded: 4 groups (public, private, secret), 6 members, 1 pending join request, 1 pending create request.');
}

try {
  await seed();
} finally {
  await db.$disconnect();
}
