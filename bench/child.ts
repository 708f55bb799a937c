/**
 * The side of a benchmarked server process that talks to the runner (over the IPC channel of fork): it
 * says when it listens, samples its own RSS so the runner can read the peak of each measured phase, counts
 * whatever the server counts (SQL statements), and stops on request.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export const counters = { statements: 0 };

/**
 * A profile of the measured phase only (startup and warm-up left out): a CPU profile (.cpuprofile), or an
 * allocation profile (.heapprofile), V8's sampling heap profiler with the objects that young and old
 * collections freed kept in it, so that it counts every byte allocated, not only what is still alive.
 */
export type ProfileKind = 'cpu' | 'alloc';
let session: Session | null = null;
let sessionKind: ProfileKind = 'cpu';
/** One sample per this many bytes allocated, on average (V8 scales each sample back to the whole). */
const ALLOCATION_SAMPLING_BYTES = 1024;
async function profile(action: 'start' | 'stop', file?: string, kind: ProfileKind = 'cpu') {
  if (action === 'start') {
    session = new Session();
    session.connect();
    sessionKind = kind;
    if (kind === 'alloc') {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: ALLOCATION_SAMPLING_BYTES,
        includeObjectsCollectedByMinorGC: true,
        includeObjectsCollectedByMajorGC: true,
      });
      return;
    }
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  } else if (session) {
    const { profile: result } = sessionKind === 'alloc' ? await session.post('HeapProfiler.stopSampling') : await session.post('Profiler.stop');
    session.disconnect();
    session = null;
    if (file) fs.writeFileSync(file, JSON.stringify(result));
  }
}

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}, 250);
sampler.unref();

/**
 * The process's garbage collections so far, as pauses of its main thread: young (scavenges) and old
 * (mark-compacts and incremental marking steps). The runner takes the difference over a measurement, to
 * say how much of a row's tail they can account for.
 */
const collections = { young: 0, youngMs: 0, old: 0, oldMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      collections.young++;
      collections.youngMs += entry.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) {
      collections.old++;
      collections.oldMs += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

export interface ChildStats {
  statements: number;
  rss: number;
  peakRss: number;
  heapUsed: number;
  /** CPU time of this process (user + system), in microseconds. */
  cpuMicros: number;
  /** Garbage collections so far: how many, and their pauses in ms (young, and old). */
  collections: typeof collections;
  /** Anything the server wants the runner to know (e.g. live subscriptions). */
  extra: Record<string, number>;
}

type Message =
  | { type: 'reset' }
  | { type: 'stats'; gc?: boolean }
  | { type: 'stop' }
  | { type: 'profile'; action: 'start' | 'stop'; file?: string; kind?: ProfileKind }
  | { type: string; [key: string]: unknown };

/**
 * Connects a started server to the runner. `close` stops it; `extra` adds numbers to the stats; `onMessage`
 * receives any other message (and may answer with process.send).
 */
export function serve(port: number, options: { close: () => Promise<void> | void; extra?: () => Record<string, number>; onMessage?: (message: Message) => void }) {
  const send = (message: unknown) => process.send?.(message);
  process.on('message', async (message: Message) => {
    if (message.type === 'reset') {
      counters.statements = 0;
      peakRss = process.memoryUsage.rss();
      send({ type: 'reset-done' });
    } else if (message.type === 'stats') {
      if (message.gc && typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
      }
      const memory = process.memoryUsage();
      if (memory.rss > peakRss) peakRss = memory.rss;
      const cpu = process.cpuUsage();
      const stats: ChildStats = {
        statements: counters.statements,
        rss: memory.rss,
        peakRss,
        heapUsed: memory.heapUsed,
        cpuMicros: cpu.user + cpu.system,
        collections: { ...collections },
        extra: options.extra?.() ?? {},
      };
      send({ type: 'stats', stats });
    } else if (message.type === 'profile') {
      const { action, file, kind } = message as { action: 'start' | 'stop'; file?: string; kind?: ProfileKind };
      await profile(action, file, kind);
      send({ type: 'profile-done' });
    } else if (message.type === 'stop') {
      // Stopping must not hang the run: whatever close() does, the process ends within a few seconds.
      setTimeout(() => process.exit(0), 3_000).unref();
      try {
        await options.close();
      } finally {
        process.exit(0);
      }
    } else {
      options.onMessage?.(message);
    }
  });
  // The runner went away: nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
}
