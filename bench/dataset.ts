/**
 * The benchmark's world: 10,000 groups (60% PUBLIC, 30% PRIVATE, 10% SECRET), 50,000 members, 200,000
 * memberships (a few big groups, many small ones) and 20,000 pending join requests, with rules, questions
 * and answers. Generated from a fixed seed, so every run measures the same data.
 *
 * Written in bulk (one transaction of prepared inserts on SQLite, multi-row `unnest` inserts on PostgreSQL)
 * into a freshly migrated database, and cached under .tmp/bench, keyed by DATASET_VERSION and a hash of the
 * migrations: a second run only copies the cached file (SQLite) or clones the cached database (PostgreSQL).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { searchKey } from '../src/domain/search.ts';

/** Bump when the generator changes, so cached datasets are rebuilt. */
export const DATASET_VERSION = 1;

export const SIZES = {
  groups: 10_000,
  members: 50_000,
  memberships: 200_000,
  pendingRequests: 20_000,
  /** Members m00000… that belong to many groups: the viewers of the "a member's groups" scenario. */
  heavyMembers: 2_000,
  heavyGroupsEach: 25,
};

/** A dataset 1/50 of the size, for `--smoke` (CI checks that the bench still runs, in seconds). */
export function useSmokeSizes() {
  Object.assign(SIZES, { groups: 200, members: 1_000, memberships: 4_000, pendingRequests: 400, heavyMembers: 40, heavyGroupsEach: 25 });
}

export const BENCH_DIR = path.resolve('.tmp/bench');

/** A small, fast, seeded random number generator (mulberry32). */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] };
}

export const memberId = (n: number) => `m${String(n).padStart(5, '0')}`;
const groupId = (n: number) => `g${String(n).padStart(5, '0')}`;
/** Row ids: fixed-width, in insertion order (the tie-breaks of the keyset orders). */
const rowId = (prefix: string, n: number) => `${prefix}${String(n).padStart(7, '0')}`;

type Privacy = 'PUBLIC' | 'PRIVATE' | 'SECRET';
export interface GroupRow {
  id: string; slug: string; name: string; nameSearch: string; description: string | null; privacy: Privacy;
  createdBy: string; createdAt: Date; updatedAt: Date; recentActivityAt: Date; membersCount: number;
  membersCanApprove: boolean; membersCanInvite: boolean; showMemberList: boolean;
}
export interface MemberRow { id: string; groupId: string; memberId: string; role: 'MEMBER' | 'ADMIN'; joinedAt: Date }
export interface RequestRow { id: string; groupId: string; memberId: string; createdAt: Date }
export interface AnswerRow { id: string; joinRequestId: string; questionId: string; question: string; text: string; position: number }
export interface RuleRow { id: string; groupId: string; position: number; title: string; description: string }
export interface QuestionRow { id: string; groupId: string; position: number; text: string; required: boolean }

export interface Dataset {
  groups: GroupRow[];
  members: MemberRow[];
  requests: RequestRow[];
  answers: AnswerRow[];
  rules: RuleRow[];
  questions: QuestionRow[];
}

const TOPICS = ['Running', 'Chess', 'Gardening', 'Photography', 'Cooking', 'Cycling', 'Poetry', 'Climbing', 'Jazz', 'Robotics', 'Hiking', 'Knitting', 'Astronomy', 'Baking', 'Films'];
const PLACES = ['Lisbon', 'Oslo', 'Kyoto', 'Lima', 'Accra', 'Quebec', 'Tartu', 'Perth', 'Porto', 'Bergen'];

/** The whole world, deterministically. */
export function generate(): Dataset {
  const rnd = random(20261123);
  const DAY = 86_400_000;
  const end = Date.UTC(2026, 10, 1);
  const start = end - 3 * 365 * DAY;

  const groups: GroupRow[] = [];
  for (let i = 0; i < SIZES.groups; i++) {
    const privacy: Privacy = i % 10 < 6 ? 'PUBLIC' : i % 10 < 9 ? 'PRIVATE' : 'SECRET';
    const name = `${TOPICS[i % TOPICS.length]} ${PLACES[Math.floor(i / TOPICS.length) % PLACES.length]} ${i}`;
    const createdAt = new Date(start + rnd.int(3 * 365 * DAY - 30 * DAY));
    const slugBase = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    groups.push({
      id: groupId(i),
      slug: privacy === 'SECRET' ? `${slugBase}-s${(i * 7919).toString(36)}` : slugBase,
      name,
      nameSearch: searchKey(name),
      description: i % 3 === 0 ? null : `A group for ${TOPICS[i % TOPICS.length].toLowerCase()} in ${PLACES[i % PLACES.length]}.`,
      privacy,
      createdBy: '',
      createdAt,
      updatedAt: createdAt,
      recentActivityAt: createdAt,
      membersCount: 0,
      membersCanApprove: i % 10 === 3,
      membersCanInvite: i % 10 === 4,
      showMemberList: i % 20 !== 7,
    });
  }

  // Memberships: every group gets its creator as ADMIN; the heavy members join 25 groups each; the rest go
  // to a skewed size distribution (1% big groups of ~500, 10% of ~50, the rest small).
  const inGroup = groups.map(() => new Set<string>());
  const members: MemberRow[] = [];
  const addMember = (g: number, who: string, role: 'MEMBER' | 'ADMIN') => {
    if (inGroup[g].has(who)) return false;
    inGroup[g].add(who);
    const group = groups[g];
    const joinedAt = new Date(group.createdAt.getTime() + rnd.int(end - group.createdAt.getTime()));
    members.push({ id: rowId('gm', members.length), groupId: group.id, memberId: who, role, joinedAt });
    group.membersCount++;
    if (joinedAt > group.recentActivityAt) group.recentActivityAt = joinedAt;
    return true;
  };
  const ordinary = () => memberId(SIZES.heavyMembers + rnd.int(SIZES.members - SIZES.heavyMembers));
  for (let g = 0; g < groups.length; g++) {
    const creator = ordinary();
    groups[g].createdBy = creator;
    addMember(g, creator, 'ADMIN');
    groups[g].membersCount = 1;
  }
  for (let m = 0; m < SIZES.heavyMembers; m++) {
    let joined = 0;
    while (joined < SIZES.heavyGroupsEach) {
      if (addMember(rnd.int(groups.length), memberId(m), joined === 0 && m % 4 === 0 ? 'ADMIN' : 'MEMBER')) joined++;
    }
  }
  const remaining = SIZES.memberships - members.length;
  // Big groups (g % 100 = 50 public, 57 private), medium ones (g % 10 = 5 public, 7 private), small ones.
  const weights = groups.map((_, g) => (g % 100 === 50 || g % 100 === 57 ? 100 : g % 10 === 5 || g % 10 === 7 ? 10 : 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  for (let g = 0; g < groups.length && members.length < SIZES.memberships; g++) {
    const target = Math.round((weights[g] / totalWeight) * remaining);
    let added = 0;
    while (added < target && members.length < SIZES.memberships) {
      if (addMember(g, ordinary(), rnd.int(40) === 0 ? 'ADMIN' : 'MEMBER')) added++;
    }
  }
  while (members.length < SIZES.memberships) addMember(rnd.int(groups.length), ordinary(), 'MEMBER');

  // Rules on a third of the groups; membership questions on every PRIVATE group (the first one required).
  const rules: RuleRow[] = [];
  const questions: QuestionRow[] = [];
  const questionsOf = new Map<string, QuestionRow[]>();
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    if (g % 3 === 0 || group.privacy === 'PRIVATE') {
      for (let p = 0; p < 2 + (g % 2); p++) {
        rules.push({ id: rowId('gr', rules.length), groupId: group.id, position: p, title: `Rule ${p + 1}`, description: `Please respect rule ${p + 1} of ${group.name}.` });
      }
    }
    if (group.privacy === 'PRIVATE') {
      const own: QuestionRow[] = [];
      for (let p = 0; p < 1 + (g % 2); p++) {
        own.push({ id: rowId('mq', questions.length + own.length), groupId: group.id, position: p, text: p === 0 ? 'Why do you want to join?' : 'How did you hear of us?', required: p === 0 });
      }
      questions.push(...own);
      questionsOf.set(group.id, own);
    }
  }

  // Pending join requests on PRIVATE groups, from members not in them, each answering the group's questions.
  const privateGroups = groups.map((group, g) => ({ group, g })).filter(({ group }) => group.privacy === 'PRIVATE');
  const requests: RequestRow[] = [];
  const answers: AnswerRow[] = [];
  const requested = new Set<string>();
  while (requests.length < SIZES.pendingRequests) {
    const { group, g } = rnd.pick(privateGroups);
    const who = memberId(rnd.int(SIZES.members));
    const key = `${group.id}:${who}`;
    if (inGroup[g].has(who) || requested.has(key)) continue;
    requested.add(key);
    const request: RequestRow = { id: rowId('jr', requests.length), groupId: group.id, memberId: who, createdAt: new Date(end - rnd.int(60 * DAY)) };
    requests.push(request);
    for (const question of questionsOf.get(group.id) ?? []) {
      answers.push({ id: rowId('ja', answers.length), joinRequestId: request.id, questionId: question.id, question: question.text, text: `Answer of ${who}`, position: question.position });
    }
  }
  return { groups, members, requests, answers, rules, questions };
}

/** The cache key: the generator version and the migrations it is loaded on. */
export function datasetKey(kind: 'sqlite' | 'postgresql'): string {
  const dir = kind === 'sqlite' ? 'prisma/migrations' : 'prisma/postgresql/migrations';
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'migration.sql');
    if (fs.existsSync(file)) hash.update(name).update(fs.readFileSync(file));
  }
  hash.update(JSON.stringify(SIZES));
  return `v${DATASET_VERSION}-${kind}-${hash.digest('hex').slice(0, 12)}`;
}

/** Applies the committed migrations to `databaseUrl` (`prisma migrate deploy`). */
export function migrate(databaseUrl: string) {
  execFileSync(path.resolve('node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'pipe',
  });
}

/** How the SQLite adapter stores a DateTime (ISO-8601 with an explicit +00:00), so comparisons agree. */
const sqliteDate = (d: Date) => d.toISOString().replace('Z', '+00:00');

/** Writes the dataset into a migrated SQLite file, in one transaction of prepared inserts. */
function loadSqlite(file: string, data: Dataset) {
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const insert = (table: string, columns: string[], rows: unknown[][]) => {
    const stmt = db.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    for (const row of rows) stmt.run(row);
  };
  const b = (v: boolean) => (v ? 1 : 0);
  db.transaction(() => {
    insert('Group', ['id', 'slug', 'name', 'nameSearch', 'description', 'privacy', 'createdBy', 'createdAt', 'updatedAt', 'recentActivityAt', 'membersCount', 'membersCanApprove', 'membersCanInvite', 'showMemberList'],
      data.groups.map((g) => [g.id, g.slug, g.name, g.nameSearch, g.description, g.privacy, g.createdBy, sqliteDate(g.createdAt), sqliteDate(g.updatedAt), sqliteDate(g.recentActivityAt), g.membersCount, b(g.membersCanApprove), b(g.membersCanInvite), b(g.showMemberList)]));
    insert('GroupMember', ['id', 'groupId', 'memberId', 'role', 'joinedAt'], data.members.map((m) => [m.id, m.groupId, m.memberId, m.role, sqliteDate(m.joinedAt)]));
    insert('JoinRequest', ['id', 'groupId', 'memberId', 'status', 'pendingKey', 'createdAt'], data.requests.map((r) => [r.id, r.groupId, r.memberId, 'PENDING', `${r.groupId}:${r.memberId}`, sqliteDate(r.createdAt)]));
    insert('JoinRequestAnswer', ['id', 'joinRequestId', 'questionId', 'question', 'text', 'position'], data.answers.map((a) => [a.id, a.joinRequestId, a.questionId, a.question, a.text, a.position]));
    insert('GroupRule', ['id', 'groupId', 'position', 'title', 'description'], data.rules.map((r) => [r.id, r.groupId, r.position, r.title, r.description]));
    insert('MembershipQuestion', ['id', 'groupId', 'position', 'text', 'required'], data.questions.map((q) => [q.id, q.groupId, q.position, q.text, b(q.required)]));
    insert('GroupEvent', ['type', 'groupId', 'groupPrivacy', 'memberId', 'role', 'actorId', 'occurredAt'], data.groups.map((g) => ['GROUP_CREATED', g.id, g.privacy, g.createdBy, 'ADMIN', g.createdBy, sqliteDate(g.createdAt)]));
    db.prepare(`INSERT INTO "GroupsSettings" ("id", "groupCreation", "updatedAt") VALUES (1, 'ADMIN_APPROVAL', ?)`).run(sqliteDate(new Date()));
  })();
  // The gateway opens the file as a deploy would find it: the default rollback journal, no statistics.
  db.pragma('journal_mode = DELETE');
  db.close();
}

/** Writes the dataset into a migrated PostgreSQL database with multi-row `unnest` inserts. */
async function loadPostgres(url: string, data: Dataset) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const insert = async (table: string, columns: [string, string][], rows: unknown[][]) => {
      const CHUNK = 20_000;
      for (let start = 0; start < rows.length; start += CHUNK) {
        const chunk = rows.slice(start, start + CHUNK);
        const arrays = columns.map((_, c) => chunk.map((row) => row[c]));
        const names = columns.map(([name]) => `"${name}"`).join(', ');
        const params = columns.map(([, type], c) => `$${c + 1}::${type === 'int' ? 'int' : type === 'bool' ? 'bool' : 'text'}[]`).join(', ');
        const casts = columns.map(([, type], c) => (['int', 'bool', 'text'].includes(type) ? `c${c}` : `c${c}::${type}`)).join(', ');
        const aliases = columns.map((_, c) => `c${c}`).join(', ');
        await client.query(`INSERT INTO "${table}" (${names}) SELECT ${casts} FROM unnest(${params}) AS t(${aliases})`, arrays);
      }
    };
    const ts = 'timestamp(3)';
    const iso = (d: Date) => d.toISOString();
    await client.query('BEGIN');
    await insert('Group', [['id', 'text'], ['slug', 'text'], ['name', 'text'], ['nameSearch', 'text'], ['description', 'text'], ['privacy', '"GroupPrivacy"'], ['createdBy', 'text'], ['createdAt', ts], ['updatedAt', ts], ['recentActivityAt', ts], ['membersCount', 'int'], ['membersCanApprove', 'bool'], ['membersCanInvite', 'bool'], ['showMemberList', 'bool']],
      data.groups.map((g) => [g.id, g.slug, g.name, g.nameSearch, g.description, g.privacy, g.createdBy, iso(g.createdAt), iso(g.updatedAt), iso(g.recentActivityAt), g.membersCount, g.membersCanApprove, g.membersCanInvite, g.showMemberList]));
    await insert('GroupMember', [['id', 'text'], ['groupId', 'text'], ['memberId', 'text'], ['role', '"GroupRole"'], ['joinedAt', ts]], data.members.map((m) => [m.id, m.groupId, m.memberId, m.role, iso(m.joinedAt)]));
    await insert('JoinRequest', [['id', 'text'], ['groupId', 'text'], ['memberId', 'text'], ['status', '"RequestStatus"'], ['pendingKey', 'text'], ['createdAt', ts]], data.requests.map((r) => [r.id, r.groupId, r.memberId, 'PENDING', `${r.groupId}:${r.memberId}`, iso(r.createdAt)]));
    await insert('JoinRequestAnswer', [['id', 'text'], ['joinRequestId', 'text'], ['questionId', 'text'], ['question', 'text'], ['text', 'text'], ['position', 'int']], data.answers.map((a) => [a.id, a.joinRequestId, a.questionId, a.question, a.text, a.position]));
    await insert('GroupRule', [['id', 'text'], ['groupId', 'text'], ['position', 'int'], ['title', 'text'], ['description', 'text']], data.rules.map((r) => [r.id, r.groupId, r.position, r.title, r.description]));
    await insert('MembershipQuestion', [['id', 'text'], ['groupId', 'text'], ['position', 'int'], ['text', 'text'], ['required', 'bool']], data.questions.map((q) => [q.id, q.groupId, q.position, q.text, q.required]));
    await insert('GroupEvent', [['type', '"GroupEventType"'], ['groupId', 'text'], ['groupPrivacy', '"GroupPrivacy"'], ['memberId', 'text'], ['role', '"GroupRole"'], ['actorId', 'text'], ['occurredAt', ts]], data.groups.map((g) => ['GROUP_CREATED', g.id, g.privacy, g.createdBy, 'ADMIN', g.createdBy, iso(g.createdAt)]));
    await client.query(`INSERT INTO "GroupsSettings" ("id", "groupCreation", "updatedAt") VALUES (1, 'ADMIN_APPROVAL', now())`);
    await client.query('COMMIT');
    // PostgreSQL's autovacuum would analyze the tables soon after a bulk load; do it now, so plans are stable.
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

/**
 * A fresh SQLite copy of the cached dataset for one run (built first when missing): returns its file.
 * `log` reports what takes time.
 */
export function sqliteDataset(log: (line: string) => void): string {
  const key = datasetKey('sqlite');
  const cached = path.join(BENCH_DIR, `dataset-${key}.db`);
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(BENCH_DIR, { recursive: true });
    const started = Date.now();
    const building = `${cached}.building`;
    fs.rmSync(building, { force: true });
    migrate(`file:${building}`);
    const data = generate();
    loadSqlite(building, data);
    fs.renameSync(building, cached);
    log(`dataset ${key}: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${describe(data)})`);
  } else {
    log(`dataset ${key}: cached`);
  }
  const run = path.join(BENCH_DIR, 'run.db');
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(run + suffix, { force: true });
  fs.copyFileSync(cached, run);
  return run;
}

/**
 * PostgreSQL: makes sure database `dataset` on the server holds the cached dataset (loading it when its
 * marker is missing), then clones it into a fresh database for this run; returns the run database's URL.
 */
export async function postgresDataset(adminUrl: (database: string) => string, log: (line: string) => void): Promise<string> {
  const key = datasetKey('postgresql').replace(/-/g, '_');
  const dataset = `bench_${key}`;
  const admin = new pg.Client({ connectionString: adminUrl('postgres') });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dataset])).rowCount;
    if (!exists) {
      const started = Date.now();
      await admin.query(`DROP DATABASE IF EXISTS ${dataset}_building`);
      await admin.query(`CREATE DATABASE ${dataset}_building`);
      migrate(adminUrl(`${dataset}_building`));
      const data = generate();
      await loadPostgres(adminUrl(`${dataset}_building`), data);
      await admin.query(`ALTER DATABASE ${dataset}_building RENAME TO ${dataset}`);
      log(`dataset ${key}: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${describe(data)})`);
    } else {
      log(`dataset ${key}: cached`);
    }
    await admin.query('DROP DATABASE IF EXISTS bench_run WITH (FORCE)');
    await admin.query(`CREATE DATABASE bench_run TEMPLATE ${dataset}`);
  } finally {
    await admin.end();
  }
  return adminUrl('bench_run');
}

function describe(data: Dataset) {
  const count = (p: Privacy) => data.groups.filter((g) => g.privacy === p).length;
  return `${data.groups.length} groups (${count('PUBLIC')} public, ${count('PRIVATE')} private, ${count('SECRET')} secret), ` +
    `${data.members.length} memberships of ${SIZES.members} members, ${data.requests.length} pending requests`;
}

/** What the scenarios need to know about the dataset, without reading the database. */
export interface DatasetFacts {
  /**
   * Viewers belonging to many groups, none of which hides its member list: a viewer's own groups include
   * those (`groups(filter: { memberId })`), and scenario (b)'s `members(first: 5)` on one is FORBIDDEN, an
   * answer with an error. About a quarter of the heavy members.
   */
  heavyMembers: string[];
  /** PRIVATE groups with rules and questions, each with one of its members. */
  privateWithContent: { slug: string; memberId: string }[];
  /** PUBLIC groups and members who are not in them (joins, then leaves). */
  joinable: { groupId: string; memberId: string }[];
  /** Pending requests with an admin of their group who may approve them. */
  approvable: { groupId: string; memberId: string; adminId: string }[];
  /** A PUBLIC group, for the live fan-out, and members not in it who join it one after another. */
  liveGroup: string;
  liveJoiners: string[];
}

export function facts(data: Dataset = generate()): DatasetFacts {
  const rnd = random(7);
  const membersOf = new Map<string, MemberRow[]>();
  for (const m of data.members) {
    const list = membersOf.get(m.groupId);
    if (list) list.push(m);
    else membersOf.set(m.groupId, [m]);
  }
  const withRules = new Set(data.rules.map((r) => r.groupId));
  const hiddenList = new Set(data.groups.filter((g) => !g.showMemberList).map((g) => g.id));
  const inHiddenList = new Set(data.members.filter((m) => hiddenList.has(m.groupId)).map((m) => m.memberId));
  const privateWithContent = data.groups
    .filter((g) => g.privacy === 'PRIVATE' && withRules.has(g.id) && g.showMemberList && g.membersCount >= 5)
    .slice(0, 500)
    .map((g) => ({ slug: g.slug, memberId: rnd.pick(membersOf.get(g.id)!).memberId }));
  const publicGroups = data.groups.filter((g) => g.privacy === 'PUBLIC');
  const joinable: DatasetFacts['joinable'] = [];
  const taken = new Set<string>();
  while (joinable.length < 20_000) {
    const g = rnd.pick(publicGroups);
    const who = memberId(SIZES.heavyMembers + rnd.int(SIZES.members - SIZES.heavyMembers));
    const key = `${g.id}:${who}`;
    if (taken.has(key) || membersOf.get(g.id)!.some((m) => m.memberId === who)) continue;
    taken.add(key);
    joinable.push({ groupId: g.id, memberId: who });
  }
  const adminsOf = (groupId: string) => membersOf.get(groupId)!.filter((m) => m.role === 'ADMIN');
  const approvable = data.requests.map((r) => ({ groupId: r.groupId, memberId: r.memberId, adminId: adminsOf(r.groupId)[0].memberId }));
  // The live group: a PUBLIC one; its joiners are members outside it, who never appear in `joinable` for it.
  const liveGroup = publicGroups[publicGroups.length - 1];
  const liveJoiners: string[] = [];
  for (let n = SIZES.members - 1; liveJoiners.length < 50; n--) {
    const who = memberId(n);
    if (!membersOf.get(liveGroup.id)!.some((m) => m.memberId === who) && !taken.has(`${liveGroup.id}:${who}`)) liveJoiners.push(who);
  }
  return {
    heavyMembers: Array.from({ length: SIZES.heavyMembers }, (_, i) => memberId(i)).filter((id) => !inHiddenList.has(id)),
    privateWithContent,
    joinable,
    approvable,
    liveGroup: liveGroup.id,
    liveJoiners,
  };
}
