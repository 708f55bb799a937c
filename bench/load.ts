/**
 * Drives one server for a bounded time: the requests of a scenario, from many connections. With autocannon,
 * or with wrk (a load generator written in C) for a scenario that repeats one request, when wrk is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Planned } from './scenarios.ts';
import type { FixedNext, Tokens } from './scenarios.ts';
import type { PacedCommand, PacedFigures, PacedRequest } from './paced-client.ts';
import { forkTs, nextMessage } from './process.ts';

export interface LoadResult {
  requests: number;
  rps: number;
  /** Seconds the load ran. */
  seconds: number;
  /** Latency percentiles in ms, to the microsecond (the table prints hundredths). */
  p50: number;
  p99: number;
  /** Transport errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  errors: number;
  /** Every answer's latency in ms (autocannon loads, when `keepLatencies` is set), to pool several loads. */
  latencies?: number[];
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  next: () => Planned;
  tokens: Tokens;
  /** Requests per second, evenly spaced (unset: as fast as `connections` closed loops get answers). */
  rate?: number;
  /** `wrk` (the default when installed) or `autocannon` for a scenario that repeats one request. */
  client?: Client;
  /** Keep every latency in the result (autocannon loads only). */
  keepLatencies?: boolean;
}

export type Client = 'wrk' | 'autocannon';

/** Whether wrk is on the PATH. */
export const wrkInstalled = (() => {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  return !probe.error;
})();

/** The one request a scenario sends over and over (with nothing to do with its answers), if it is such a one. */
function repeatedRequest(next: () => Planned): Planned | null {
  const always = (next as Partial<FixedNext>).always;
  return always && !always.onResponse ? always : null;
}

/** The headers of a planned request: JSON, and its viewer's token. */
function requestHeaders(planned: Planned, tokens: Tokens): Record<string, string> {
  return planned.memberId === null
    ? { 'Content-Type': 'application/json' }
    : { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.get(planned.memberId)}` };
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.rate) return paced(options, options.rate);
  const { next, tokens } = options;
  const always = repeatedRequest(next);
  if (always && wrkInstalled && options.client !== 'autocannon') return withWrk(options, always);
  // One request sent over and over is handed to autocannon ready-made. Built per request in JavaScript
  // (setupRequest), it cost autocannon more than bare node:http spends answering it: that baseline read
  // ~44,000 req/s for a client limit, ~75,000 with the request made once (bench/README.md, round 8).
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    // A GraphQL error comes back with status 200: count it as an error too.
    verifyBody: (body) => !body.includes('"errors"'),
    requests: [
      always
        ? { method: 'POST', headers: requestHeaders(always, tokens), body: always.body }
        : {
            method: 'POST',
            setupRequest: (request, context) => {
              const planned = next();
              context.planned = planned;
              // Object.assign, not a spread followed by more properties: on Node 20 such a literal makes
              // young collections keep the garbage next to it (src/context.ts), and this process's pauses
              // are added to every latency it measures.
              return Object.assign({}, request, { method: 'POST', headers: requestHeaders(planned, tokens), body: planned.body });
            },
            onResponse: (_status, body, context) => {
              (context.planned as Planned | undefined)?.onResponse?.(body);
            },
          },
    ],
  });
  // autocannon's own percentiles are whole milliseconds (its histogram records integers), too coarse for
  // answers that take one or two: the latencies are kept here as measured, to a microsecond.
  const latencies: number[] = [];
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const figures: LoadResult = {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    seconds: result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
  if (options.keepLatencies) figures.latencies = latencies;
  return figures;
}

/**
 * One request over and over, sent by wrk (one thread, `connections` connections). Its Lua script counts an
 * answer that is not a 200 or carries GraphQL `errors` as an error, as autocannon's verifyBody does, and
 * prints the figures as one JSON line. wrk's latencies are its own histogram's, in microseconds.
 */
async function withWrk(options: LoadOptions, planned: Planned): Promise<LoadResult> {
  const quote = (text: string) => {
    if (text.includes(']==]')) throw new Error('a request body wrk cannot carry');
    return `[==[${text}]==]`;
  };
  const headers = requestHeaders(planned, options.tokens);
  const script = [
    'wrk.method = "POST"',
    `wrk.body = ${quote(planned.body)}`,
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[ ${quote(name)} ] = ${quote(value)}`),
    'errors = 0',
    'local threads = {}',
    'function setup(thread) table.insert(threads, thread) end',
    'function response(status, headers, body)',
    '  if status ~= 200 or string.find(body, \'"errors"\', 1, true) then errors = errors + 1 end',
    'end',
    'function done(summary, latency, requests)',
    '  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout',
    '  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end',
    '  io.write(string.format(\'{"requests":%d,"seconds":%f,"p50":%f,"p99":%f,"errors":%d}\\n\',',
    '    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))',
    'end',
  ].join('\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-')), 'request.lua');
  fs.writeFileSync(file, script);
  try {
    const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', file, options.url];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}:\n${out}`))));
    });
    const line = output.split('\n').find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`no figures from wrk:\n${output}`);
    const figures = JSON.parse(line) as { requests: number; seconds: number; p50: number; p99: number; errors: number };
    return { requests: figures.requests, rps: figures.requests / figures.seconds, seconds: figures.seconds, p50: microseconds(figures.p50), p99: microseconds(figures.p99), errors: figures.errors };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * A fixed rate, one request every 1/rate s, whether or not earlier ones were answered (an open model, like
 * wrk2), each latency counted from the moment the request was due, sent by a process of its own
 * (paced-client.ts). Written here because autocannon's rate option lets each connection send its whole
 * second's quota back to back and then wait for the next second: every second starts with a burst of all
 * its requests at once, so its latencies measure a queue of that burst, not a server at half load.
 */
async function paced(options: LoadOptions, rate: number): Promise<LoadResult> {
  const { next, tokens } = options;
  const total = Math.max(1, Math.round(rate * options.seconds));
  const requests: PacedRequest[] = [];
  for (let i = 0; i < Math.min(total, 5_000); i++) {
    const planned = next();
    if (planned.onResponse) throw new Error('a paced load sends requests ready-made: it cannot hand answers back to the scenario');
    requests.push({ headers: requestHeaders(planned, tokens), body: planned.body });
  }
  const child = forkTs('paced-client.ts', {});
  try {
    await nextMessage(child, 'ready');
    const done = nextMessage<{ figures: PacedFigures }>(child, 'done', (options.seconds + 30) * 1000);
    const command: PacedCommand = { type: 'run', url: options.url, rate, seconds: options.seconds, requests };
    child.send(command);
    const { latencies, errors, seconds } = (await done).figures;
    return { requests: latencies.length, rps: latencies.length / seconds, seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** A latency in ms, rounded to the microsecond: what wrk measures, and finer than any figure here needs. */
const microseconds = (ms: number) => Math.round(ms * 1000) / 1000;

/** The q-quantile of some latencies in ms (sorts them in place), to the microsecond. */
export function percentile(latencies: number[], q: number): number {
  if (!latencies.length) return 0;
  latencies.sort((a, b) => a - b);
  return microseconds(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
}
