/** Starting benchmarked servers and subscriber processes as children, and talking to them over IPC. */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildStats, ProfileKind } from './child.ts';

const BENCH = path.dirname(new URL(import.meta.url).pathname);

/** Waits for the next message of `type` from `child` (failing if it exits or takes longer than `ms`). */
export function nextMessage<T = Record<string, unknown>>(child: ChildProcess, type: string, ms = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${type}" from ${child.pid} within ${ms} ms`)), ms);
    const onMessage = (message: { type: string }) => {
      if (message.type === type) done(null, message as T);
    };
    const onExit = (code: number | null) => done(new Error(`process ${child.pid} exited (${code}) before "${type}"`));
    function done(error: Error | null, value?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The soft and hard limits on open files of processes started from here. */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    const out = spawnSync('sh', ['-c', `ulimit ${flag} -n`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out) || 1024;
  };
  return { soft: read('-S'), hard: read('-H') };
}

/**
 * Forks a TypeScript file of bench/ with the TypeScript loader; `nodeArgs` go to node. With `openFiles`
 * above the current soft limit, the process is started through a shell that raises it first (up to the
 * hard limit; a process may not go beyond it).
 */
export function forkTs(file: string, env: Record<string, string>, nodeArgs: string[] = [], openFiles = 0, stdout: 'inherit' | number = 'inherit'): ChildProcess {
  const script = path.join(BENCH, file);
  const options = { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc' | number)[] };
  const limits = openFiles > 0 ? fileLimits() : null;
  if (limits && openFiles > limits.soft) {
    const raised = Math.min(openFiles, limits.hard);
    const argv = [process.execPath, '--import', 'tsx', ...nodeArgs, script].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawn('sh', ['-c', `ulimit -S -n ${raised} && exec ${argv}`], options);
  }
  return fork(script, [], { ...options, execArgv: ['--import', 'tsx', ...nodeArgs] });
}

export interface ServerChild {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  stats(gc?: boolean): Promise<ChildStats>;
  /** Starts a CPU (or allocation) profile, or stops it and writes it to `file`. */
  profile(action: 'start' | 'stop', file?: string, kind?: ProfileKind): Promise<void>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a server of bench/servers/. Its stdout (the gateway's JSON logs: a line per request) goes to
 * `logFile` when given, as a deployment would keep it, instead of into the runner's output.
 */
export async function startServerChild(name: string, file: string, env: Record<string, string>, nodeArgs: string[] = [], openFiles = 0, logFile?: string): Promise<ServerChild> {
  const stdout = logFile ? fs.openSync(logFile, 'w') : 'inherit';
  const child = forkTs(file, env, ['--expose-gc', ...nodeArgs], openFiles, stdout);
  if (typeof stdout === 'number') fs.closeSync(stdout); // the child has its own copy
  const { port } = await nextMessage<{ port: number }>(child, 'ready', 120_000);
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    process: child,
    async stats(gc = false) {
      const reply = nextMessage<{ stats: ChildStats }>(child, 'stats');
      child.send({ type: 'stats', gc });
      return (await reply).stats;
    },
    async profile(action, file, kind) {
      const reply = nextMessage(child, 'profile-done');
      child.send({ type: 'profile', action, file, kind });
      await reply;
    },
    async reset() {
      const reply = nextMessage(child, 'reset-done');
      child.send({ type: 'reset' });
      await reply;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
