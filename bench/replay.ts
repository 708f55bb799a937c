/**
 * `npm run bench:replay`: what a replay (`groupEvents(after: "0")` over SSE) costs as the events its viewer
 * may not receive grow. The gateway runs in its own process (bench/servers/gateway.ts) on a new database;
 * the log gets the hidden events of a secret group, then one event of a public group after them, and each
 * viewer replays the whole log until that last event has come.
 *
 *   npm run bench:replay -- [--hidden 0,10000,100000] [--hidden-in secret|deleted] [--visible 0] [--repeat 5]
 *     [--db sqlite|postgresql] [--transport sse|ws] [--profile] [--smoke]
 *
 * `--hidden-in deleted` puts the hidden events in a group since deleted (a public one, its member list shown):
 * a signed-in viewer's role there is then looked up in the log, for each of its events the replay reads.
 * `--visible N` first writes N events of the public group, which every viewer receives: a replay then reads
 * many pages of LOG_PAGE events, and the time shows what each page costs beyond the first.
 *
 * `--transport ws` replays over graphql-ws (one WebSocket per replay) instead of SSE.
 * `--profile` writes a CPU profile of the gateway over each level's measured replays
 * (.tmp/bench/profiles/replay-<hidden>-<viewer>.cpuprofile) and prints where the time went.
 *
 * Prints, per number of hidden events and viewer: the median and the fastest time to the last event, and the
 * SQL statements one replay ran. A replay is filtered inside the database (receivableEventsSql), so the
 * statements stay the same (up to one more per doubling of its window of ids past the first 20,000:
 * REPLAY_WINDOW) and the time grows by the database's scan of the hidden rows only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createDb, type Db } from '../src/db/client.ts';
import { searchKey } from '../src/domain/search.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { BENCH_DIR, migrate } from './dataset.ts';
import { summarizeProfile } from './profile.ts';
import { startBenchPostgres, type BenchPostgres } from './postgres.ts';
import { startServerChild, type ServerChild } from './process.ts';

const { values: flags } = parseArgs({
  options: {
    hidden: { type: 'string', default: '0,10000,100000' },
    visible: { type: 'string', default: '0' },
    'hidden-in': { type: 'string', default: 'secret' },
    repeat: { type: 'string', default: '5' },
    db: { type: 'string', default: 'sqlite' },
    transport: { type: 'string', default: 'sse' },
    profile: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
  },
});
const levels = (flags.smoke ? '0,1000' : flags.hidden!).split(',').map(Number);
const repeat = flags.smoke ? 1 : Number(flags.repeat);
if (levels.some((n) => !Number.isInteger(n) || n < 0) || levels.some((n, i) => i > 0 && n < levels[i - 1]!)) {
  throw new Error('--hidden takes counts of events in increasing order, e.g. 0,10000,100000');
}
if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat takes a whole number of at least 1');
const hiddenIn = flags['hidden-in'];
if (hiddenIn !== 'secret' && hiddenIn !== 'deleted') throw new Error('--hidden-in is secret or deleted');
const visibleFirst = Number(flags.visible);
if (!Number.isInteger(visibleFirst) || visibleFirst < 0) throw new Error('--visible takes a whole number of events');
if (flags.db !== 'sqlite' && flags.db !== 'postgresql') throw new Error('--db is sqlite or postgresql');
if (flags.transport !== 'sse' && flags.transport !== 'ws') throw new Error('--transport is sse or ws');

const JWT_SECRET = 'bench-replay-secret-not-for-production';
const log = (line: string) => console.log(line);

/** A new, migrated database for this run, and how to remove it. */
async function database(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (flags.db === 'sqlite') {
    fs.mkdirSync(BENCH_DIR, { recursive: true });
    const file = path.join(BENCH_DIR, `replay-${process.pid}.db`);
    migrate(`file:${file}`);
    return { url: `file:${file}`, drop: async () => ['', '-wal', '-shm'].forEach((s) => fs.rmSync(file + s, { force: true })) };
  }
  const postgres: BenchPostgres = await startBenchPostgres(log);
  const name = `replay_${process.pid}`;
  const admin = createDb(postgres.url('postgres'));
  await admin.$executeRawUnsafe(`CREATE DATABASE ${name}`);
  migrate(postgres.url(name));
  return {
    url: postgres.url(name),
    drop: async () => {
      await admin.$executeRawUnsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.$disconnect();
      postgres.stop();
    },
  };
}

const REPLAY_QUERY = 'subscription { groupEvents(after: "0") { id } }';

/** Opens `groupEvents(after: "0")` over SSE; resolves with the ms until `expected` events have come. */
async function replayOverSse(url: string, token: string | null, expected: number): Promise<number> {
  const started = performance.now();
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: REPLAY_QUERY }),
    signal: abort.signal,
  });
  const decoder = new TextDecoder();
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      received += decoder.decode(chunk, { stream: true }).split('"groupEvents"').length - 1;
      if (received >= expected) return performance.now() - started;
    }
    throw new Error(`the replay ended after ${received} of ${expected} events`);
  } finally {
    abort.abort();
  }
}

/** The same over graphql-ws: a new WebSocket, connection_init with the token, one subscription. */
function replayOverWs(url: string, token: string | null, expected: number): Promise<number> {
  const started = performance.now();
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  return new Promise<number>((resolve, reject) => {
    let received = 0;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} })));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: REPLAY_QUERY } }));
      else if (message.type === 'next' && ++received >= expected) resolve(performance.now() - started);
      else if (message.type === 'error' || message.type === 'complete') reject(new Error(`the replay ended after ${received} of ${expected} events: ${String(raw)}`));
    });
    socket.on('close', (code) => reject(new Error(`the WebSocket closed (${code}) after ${received} of ${expected} events`)));
    socket.on('error', reject);
  }).finally(() => socket.terminate());
}

const replay = flags.transport === 'ws' ? replayOverWs : replayOverSse;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const { url: databaseUrl, drop } = await database();
  const db: Db = createDb(databaseUrl);
  let gateway: ServerChild | null = null;
  try {
    const group = (name: string, privacy: 'PUBLIC' | 'SECRET') =>
      db.group.create({ data: { name, nameSearch: searchKey(name), slug: name.toLowerCase().replace(/ /g, '-'), privacy } });
    const open = await group('Open Hall', 'PUBLIC');
    const secret = await group('Back Room', hiddenIn === 'secret' ? 'SECRET' : 'PUBLIC');
    if (hiddenIn === 'deleted') {
      await db.group.delete({ where: { id: secret.id } });
      await db.deletedGroup.create({ data: { id: secret.id, showMemberList: true, membersCanApprove: false, membersCanInvite: false } });
    }
    await db.groupEvent.create({ data: { type: 'GROUP_CREATED', groupId: open.id, groupPrivacy: 'PUBLIC', memberId: 'host', role: 'ADMIN', actorId: 'host' } });
    for (let written = 0; written < visibleFirst; written += 10_000) {
      const count = Math.min(10_000, visibleFirst - written);
      await db.groupEvent.createMany({
        data: Array.from({ length: count }, () => ({ type: 'GROUP_UPDATED' as const, groupId: open.id, groupPrivacy: 'PUBLIC' as const, actorId: 'host' })),
      });
    }
    gateway = await startServerChild('gateway', 'servers/gateway.ts', { DATABASE_URL: databaseUrl, JWT_SECRET, LOG_LEVEL: 'warn' });
    const key = secretKey(JWT_SECRET);
    const viewers: [string, string | null][] = [
      ['anonymous', null],
      ['site member', await signToken(key, { sub: 'outsider' })],
    ];
    const rows: string[][] = [];
    let hidden = 0;
    for (const level of levels) {
      for (let written = hidden; written < level; written += 10_000) {
        const count = Math.min(10_000, level - written);
        await db.groupEvent.createMany({
          data: Array.from({ length: count }, (_, i) => ({ type: 'MEMBER_ADDED' as const, groupId: secret.id, groupPrivacy: secret.privacy, memberId: `m${written + i}`, role: 'MEMBER' as const, actorId: 'host' })),
        });
      }
      hidden = level;
      // One visible event after the hidden ones: the replay has gone through all of them when it comes.
      await db.groupEvent.create({ data: { type: 'GROUP_UPDATED', groupId: open.id, groupPrivacy: 'PUBLIC', actorId: 'host' } });
      const visible = await db.groupEvent.count({ where: { groupId: open.id } });
      // Statistics as autovacuum keeps them in a deployment, where every change to a group updates its row
      // and appends an event. The bench writes events alone, and without statistics of "Group" (a table of
      // two rows: autovacuum analyzes after 50 changes) PostgreSQL sorted every event of a window for the
      // anonymous viewer's page: 16-20 ms a page instead of 1.3 ms.
      if (flags.db === 'postgresql') await db.$executeRawUnsafe('ANALYZE');
      for (const [name, token] of viewers) {
        await replay(gateway.url, token, visible); // warm-up
        const times: number[] = [];
        await gateway.reset();
        const profile = path.join(BENCH_DIR, 'profiles', `replay-${hidden}-${name.replace(/ /g, '-')}.cpuprofile`);
        if (flags.profile) await gateway.profile('start', undefined, 'cpu');
        for (let i = 0; i < repeat; i++) times.push(await replay(gateway.url, token, visible));
        if (flags.profile) {
          fs.mkdirSync(path.dirname(profile), { recursive: true });
          await gateway.profile('stop', profile);
          console.error(`${hidden} hidden events, ${name}:\n${summarizeProfile(profile, 30)}`);
        }
        const { statements } = await gateway.stats();
        rows.push([hidden.toLocaleString('en'), name, String(visible), median(times).toFixed(1), Math.min(...times).toFixed(1), (statements / repeat).toFixed(1)]);
      }
    }
    const header = ['hidden events', 'viewer', 'events received', 'median ms', 'fastest ms', 'statements per replay'];
    console.log(`\nreplay of the whole log over ${flags.transport === 'ws' ? 'graphql-ws' : 'SSE'}, ${flags.db}, hidden events in a ${hiddenIn} group, ${repeat} run(s) each\n`);
    console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  } finally {
    await gateway?.stop();
    await db.$disconnect();
    await drop();
  }
}

await main();
