/**
 * A replay (`groupEvents(after: …)`) is filtered by the database, with the policy's SQL: the events the
 * viewer may not receive are skipped inside one statement, not looked up one by one. So what a replay costs,
 * and how long it takes, does not grow with what happened out of the viewer's sight. (Before, each hidden
 * event cost lookups of its own, ~0.8 ms each: timing a replay estimated how many events secret groups had.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tokenFor, type TestGateway, type ViewerSpec } from './helpers/gateway.ts';
import { sseResults } from './helpers/live.ts';
import { anonymous, createGroup, outsider } from './helpers/world.ts';
import { LOG_PAGE, nextReplayWindow, REPLAY_WINDOW } from '../src/live/audience.ts';

let gw: TestGateway;
let publicId = '';
let secretId = '';

beforeAll(async () => {
  gw = await startGateway();
  publicId = (await createGroup(gw, { name: 'Open hall', privacy: 'PUBLIC' })).id;
  secretId = (await createGroup(gw, { name: 'Back room', privacy: 'SECRET' })).id;
});
afterAll(() => gw.close());

/** Events of the secret group: what the viewers of these tests may not receive. */
async function hiddenEvents(count: number) {
  for (let written = 0; written < count; written += 5_000) {
    await gw.app.services.db.groupEvent.createMany({
      data: Array.from({ length: Math.min(5_000, count - written) }, (_, i) => ({
        type: 'MEMBER_ADDED' as const, groupId: secretId, groupPrivacy: 'SECRET' as const, memberId: `m${written + i}`, role: 'MEMBER' as const, actorId: 'admin',
      })),
    });
  }
}

async function visibleEvent() {
  await gw.app.services.db.groupEvent.create({ data: { type: 'GROUP_UPDATED', groupId: publicId, groupPrivacy: 'PUBLIC', actorId: 'admin' } });
}

/**
 * Replays the whole log over SSE as `viewer` until `expected` events came (then 100 ms more, for any extra):
 * the events' groups, the events as received, and the statements the replay ran.
 */
async function replay(viewer: ViewerSpec, expected: number, variables: Record<string, unknown> = { after: '0' }, fields = 'type groupId') {
  const token = await tokenFor(viewer);
  const abort = new AbortController();
  gw.statements.length = 0;
  const response = await gw.fetch('/graphql', {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: `subscription($after: ID, $groupId: ID) { groupEvents(after: $after, groupId: $groupId) { ${fields} } }`, variables }),
    signal: abort.signal,
  });
  const reader = response.body!.getReader();
  const parse = sseResults();
  const groups: string[] = [];
  const events: Record<string, unknown>[] = [];
  let deadline = Date.now() + 10_000;
  try {
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
      if (chunk === null || chunk.done) break;
      for (const result of parse(chunk.value)) {
        expect(result.errors).toBeUndefined();
        groups.push(result.data.groupEvents.groupId ?? result.data.groupEvents.group?.name);
        events.push(result.data.groupEvents);
      }
      if (groups.length >= expected) deadline = Math.min(deadline, Date.now() + 100);
    }
    return { groups, events, statements: gw.statements.length };
  } finally {
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }
}

describe('a replay skips what the viewer may not receive inside the database', () => {
  it.each([
    ['anonymous', anonymous],
    ['a site member outside the secret group', outsider],
  ] as const)('for %s, its statements do not grow with the hidden events before, between and after the visible ones', async (_name, viewer) => {
    const runs: { hidden: number; statements: number }[] = [];
    // Hidden events before, between and after the visible ones (the public group's).
    let hidden = await gw.app.services.db.groupEvent.count({ where: { groupId: secretId } });
    for (const more of [10, 1_200]) {
      await hiddenEvents(more);
      await visibleEvent();
      await hiddenEvents(more);
      hidden += 2 * more;
      const visible = await gw.app.services.db.groupEvent.count({ where: { groupId: publicId } });
      const { groups, statements } = await replay(viewer, visible);
      expect(groups).toEqual(Array(visible).fill(publicId));
      runs.push({ hidden, statements });
    }
    console.log(`replay statements: ${runs.map((r) => `${r.hidden} hidden events = ${r.statements}`).join('; ')}`);
    expect(runs[1].statements).toBe(runs[0].statements);
    // The same on one group's replay: the secret group's, which this viewer sees nothing of.
    const one = await replay(viewer, 0, { after: '0', groupId: secretId });
    expect(one.groups).toEqual([]);
    expect(one.statements).toBeLessThanOrEqual(runs[0].statements);
  });
});

type Replayed = Awaited<ReturnType<typeof replay>>;

/**
 * Adds 5, then 60 more events to the public group, and after each replays its log as an outsider asking
 * `fields` of each event: `check` sees each replay (and the group's event count); returns their statements.
 */
async function replaysAsTheLogGrows(fields: string, check: (replayed: Replayed, count: number) => void) {
  const runs: { events: number; statements: number }[] = [];
  for (const more of [5, 60]) {
    for (let i = 0; i < more; i++) await visibleEvent();
    const count = await gw.app.services.db.groupEvent.count({ where: { groupId: publicId } });
    const replayed = await replay(outsider, count, { after: '0', groupId: publicId }, fields);
    check(replayed, count);
    runs.push({ events: count, statements: replayed.statements });
  }
  return runs;
}

describe('a replay resolves its events with loaders shared by its page', () => {
  it('the events of one group read that group and the viewer\'s role there once, whatever their number', async () => {
    const runs = await replaysAsTheLogGrows('group { id name viewerRole membersCount }', ({ groups }, count) => {
      expect(groups).toEqual(Array(count).fill('Open hall'));
    });
    console.log(`replay with group fields: ${runs.map((r) => `${r.events} events = ${r.statements} statements`).join('; ')}`);
    expect(runs[1].statements).toBe(runs[0].statements);
  });
});

describe('a replay over many groups', () => {
  it('reads the groups of a page at once when `group` is asked for: as many statements for 30 groups as for 3', async () => {
    const runs: { groups: number; statements: number }[] = [];
    for (const count of [3, 30]) {
      const start = (await gw.app.services.db.groupEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))!.id;
      const names: string[] = [];
      for (let i = 0; i < count; i++) names.push((await createGroup(gw, { name: `Hall ${count}-${i}`, privacy: 'PUBLIC' })).name);
      const expected = await gw.app.services.db.groupEvent.count({ where: { id: { gt: start } } });
      const after = gw.app.services.audience.ids.encode(start);
      const replayed = await replay(outsider, expected, { after }, 'group { id name viewerRole membersCount }');
      expect(replayed.groups).toHaveLength(expected);
      expect(new Set(replayed.groups)).toEqual(new Set(names));
      runs.push({ groups: count, statements: replayed.statements });
    }
    console.log(`replay over many groups: ${runs.map((r) => `${r.groups} groups = ${r.statements} statements`).join('; ')}`);
    expect(runs[1].statements).toBe(runs[0].statements);
  });
});

describe('a replay decides who acted in its statement', () => {
  it('naming the actors of its events costs no lookup per event', async () => {
    // Open hall is PUBLIC with its member list shown: anyone may see who updated it.
    const runs = await replaysAsTheLogGrows('type groupId actorId', ({ events }, count) => {
      const updates = events.filter((event) => event.type === 'GROUP_UPDATED');
      expect(updates.length).toBe(count - 1);
      expect(updates.map((event) => event.actorId)).toEqual(Array(count - 1).fill('admin'));
    });
    console.log(`replay with actorId: ${runs.map((r) => `${r.events} events = ${r.statements} statements`).join('; ')}`);
    expect(runs[1].statements).toBe(runs[0].statements);
  });

  it('a member list hidden from the viewer hides who acted, and not from its admin', async () => {
    const quiet = await createGroup(gw, { name: 'Quiet hall', privacy: 'PUBLIC', settings: { showMemberList: false } });
    await gw.app.services.db.groupEvent.createMany({
      data: Array.from({ length: 5 }, () => ({ type: 'GROUP_UPDATED' as const, groupId: quiet.id, groupPrivacy: 'PUBLIC' as const, actorId: 'admin' })),
    });
    const updatesSeenBy = async (viewer: ViewerSpec) => {
      const { events } = await replay(viewer, 6, { after: '0', groupId: quiet.id }, 'type groupId actorId');
      return events.filter((event) => event.type === 'GROUP_UPDATED').map((event) => event.actorId);
    };
    expect(await updatesSeenBy(anonymous)).toEqual(Array(5).fill(null));
    expect(await updatesSeenBy(outsider)).toEqual(Array(5).fill(null));
    expect(await updatesSeenBy({ sub: 'admin' })).toEqual(Array(5).fill('admin'));
  });
});

describe('a replay reads the log a window of ids at a time', () => {
  it('the next window: twice a full page\'s span (at least REPLAY_WINDOW), twice a window that held less than a page', () => {
    expect(nextReplayWindow(REPLAY_WINDOW, { full: true, span: 600 })).toBe(REPLAY_WINDOW);
    expect(nextReplayWindow(REPLAY_WINDOW, { full: true, span: 15_000 })).toBe(30_000);
    expect(nextReplayWindow(REPLAY_WINDOW, { full: false, span: REPLAY_WINDOW })).toBe(2 * REPLAY_WINDOW);
    expect(nextReplayWindow(80_000, { full: false, span: 80_000 })).toBe(160_000);
  });

  it('a stretch of hidden events longer than a window costs a statement per doubling, and every visible event still comes', async () => {
    const db = gw.app.services.db;
    const quiet = await replay(outsider, 1, { after: '0', groupId: secretId });
    expect(quiet.groups).toEqual([]);
    // Hidden events spanning three windows' worth of ids, with a visible event in the middle and at the end.
    const before = (await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))!.id;
    await hiddenEvents(REPLAY_WINDOW);
    await visibleEvent();
    await hiddenEvents(2 * REPLAY_WINDOW);
    await visibleEvent();
    const newest = (await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))!.id;
    expect(newest - before).toBeGreaterThan(3 * REPLAY_WINDOW);
    // Every event but the secret group's is public content this viewer receives (the earlier tests' too).
    const visible = await db.groupEvent.count({ where: { groupId: { not: secretId } } });
    const { groups, statements } = await replay(outsider, visible);
    expect(groups).toHaveLength(visible);
    expect(groups).not.toContain(secretId);
    expect(groups.filter((id) => id === publicId)).toHaveLength(await db.groupEvent.count({ where: { groupId: publicId } }));
    // The windows a replay of ids 1..newest reads, where no page fills (this viewer receives fewer than
    // LOG_PAGE events): 20,000, then 40,000, 80,000, ... until the newest.
    expect(visible).toBeLessThan(LOG_PAGE);
    let windows = 0;
    for (let [from, window] = [0, REPLAY_WINDOW]; from < newest; from += window, window = nextReplayWindow(window, { full: false, span: window })) windows++;
    expect(windows).toBeGreaterThan(1);
    // The same replay's other statements (the newest event's id, the log read after the replay) are those of a
    // replay of one window: the secret group's own, which this viewer receives nothing of.
    console.log(`replay over ${newest} ids: ${windows} windows, ${statements} statements`);
    expect(statements).toBe(quiet.statements - 1 + windows);
  }, 60_000);
});
