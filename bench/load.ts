/** Drives one server with autocannon for a bounded time: the requests of a scenario, from many connections. */
import autocannon from 'autocannon';
import type { Planned } from './scenarios.ts';
import type { FixedNext, Tokens } from './scenarios.ts';

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Transport errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  errors: number;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  next: () => Planned;
  tokens: Tokens;
  /** Requests per second, evenly spaced (unset: as fast as `connections` closed loops get answers). */
  rate?: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  if (options.rate) return paced(options, options.rate);
  const { next, tokens } = options;
  // One request sent over and over is handed to autocannon ready-made. Built per request in JavaScript
  // (setupRequest), it cost autocannon more than bare node:http spends answering it: that baseline read
  // ~44,000 req/s for a client limit, ~75,000 with the request made once (bench/README.md, round 8).
  const always = (next as Partial<FixedNext>).always;
  const headers = (memberId: string | null): Record<string, string> =>
    memberId === null ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(memberId)}` };
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    overallRate: options.rate,
    // A GraphQL error comes back with status 200: count it as an error too.
    verifyBody: (body) => !body.includes('"errors"'),
    requests: [
      always && !always.onResponse
        ? { method: 'POST', headers: headers(always.memberId), body: always.body }
        : {
            method: 'POST',
            setupRequest: (request, context) => {
              const planned = next();
              context.planned = planned;
              // Object.assign, not a spread followed by more properties: on Node 20 such a literal makes
              // young collections keep the garbage next to it (src/context.ts), and this process's pauses
              // are added to every latency it measures.
              return Object.assign({}, request, { method: 'POST', headers: headers(planned.memberId), body: planned.body });
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
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}

/**
 * A fixed rate, one request every 1/rate s, whether or not earlier ones were answered (an open model, like
 * wrk2), each latency counted from the moment the request was due. Written here because autocannon's
 * rate option lets each connection send its whole second's quota back to back and then wait for the next
 * second: every second starts with a burst of all its requests at once, so its latencies measure a queue
 * of that burst, not a server at half load.
 */
async function paced(options: LoadOptions, rate: number): Promise<LoadResult> {
  const { next, tokens } = options;
  const total = Math.max(1, Math.round(rate * options.seconds));
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const planned = next();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (planned.memberId !== null) headers.authorization = `Bearer ${tokens.get(planned.memberId)}`;
    sent.push(
      fetch(options.url, { method: 'POST', headers, body: planned.body, signal: AbortSignal.timeout(10_000) })
        .then(async (response) => {
          const body = await response.text();
          latencies.push(performance.now() - due);
          if (!response.ok || body.includes('"errors"')) errors++;
          planned.onResponse?.(body);
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(sent);
  const seconds = (performance.now() - started) / 1000;
  return { requests: latencies.length, rps: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}

/** The q-quantile of some latencies in ms (sorts them in place), to a hundredth of a millisecond. */
function percentile(latencies: number[], q: number): number {
  if (!latencies.length) return 0;
  latencies.sort((a, b) => a - b);
  return Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 100) / 100;
}
