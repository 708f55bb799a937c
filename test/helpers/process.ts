/**
 * The gateway and the project's commands as real processes: `node --import tsx src/server.ts` (as `npm run
 * serve` starts it) on a fresh test database and a free port, and `tsx <script>` run to completion (or
 * stopped), each with its output collected.
 * Everything started here is stopped and every database dropped by `stopProcesses()` (call it afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TEST_SECRET } from './gateway.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

const TSX = path.resolve('node_modules/.bin/tsx');

const children = new Set<ChildProcess>();
const databases = new Set<TestDatabase>();

/**
 * Signals a process started here and everything it started: tsx runs the script in a child process of its
 * own, which a signal to tsx alone would leave running once tsx is killed.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills whatever is still running and drops the databases made for gateways. */
export async function stopProcesses() {
  for (const child of children) signalGroup(child, 'SIGKILL');
  children.clear();
  await Promise.all([...databases].map((db) => db.drop()));
  databases.clear();
}

/** A port nobody listens on. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface RunningProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) to the process and its children. */
  stop(signal?: NodeJS.Signals): void;
  /** Waits until stdout contains `text` (failing after `timeoutMs`, or when the process ends first). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

/** Starts `tsx <args>` with exactly `env` (plus PATH), collecting its output, in a process group of its own. */
export function runTsx(args: string[], env: Record<string, string>): RunningProcess {
  return run(TSX, args, env);
}

/** Starts `command <args>` with exactly `env` (plus PATH), collecting its output, in a process group of its own. */
function run(command: string, args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: (signal = 'SIGTERM') => signalGroup(child, signal),
    async waitFor(text, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!stdout.includes(text)) {
        if (child.exitCode !== null) throw new Error(`Exited with ${child.exitCode} before "${text}":\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`No "${text}" within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Runs `tsx <args>` to its end; fails if it takes longer than `timeoutMs`. */
export async function runToEnd(args: string[], env: Record<string, string>, timeoutMs = 30_000) {
  const run = runTsx(args, env);
  const timer = setTimeout(() => run.stop('SIGKILL'), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export interface GatewayProcess extends RunningProcess {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** http://127.0.0.1:<port> */
  origin: string;
  databaseUrl: string;
  /** The JSON lines the gateway logged on stdout, parsed (other lines left out). */
  logLines(): Record<string, unknown>[];
}

/**
 * Starts the gateway as users do (`node --import tsx src/server.ts`, NODE_ENV=test, the tests' JWT secret) on a new test
 * database and a free port, with `env` added; resolves once it answers `/health`.
 */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const database = await createTestDatabase();
  databases.add(database);
  const port = await freePort();
  const gateway = run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...env,
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gateway.child.exitCode !== null) throw new Error(`The gateway exited with ${gateway.child.exitCode}:\n${gateway.stdout()}\n${gateway.stderr()}`);
    const up = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`The gateway did not answer within 30 s:\n${gateway.stdout()}\n${gateway.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    ...gateway,
    url: `${origin}/graphql`,
    origin,
    databaseUrl: database.url,
    logLines: () =>
      gateway
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Sends one GraphQL request over HTTP with an optional token and headers; returns status, headers and the parsed body. */
export async function postGraphQL(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  options: { token?: string | null; headers?: Record<string, string> } = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as { data?: any; errors?: any[] } };
}
