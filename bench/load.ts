/** Drives one server with autocannon for a bounded time: the requests of a scenario, from many connections. */
import autocannon from 'autocannon';
import type { Planned } from './scenarios.ts';
import type { Tokens } from './scenarios.ts';

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
  /** Requests per second over all connections (unset: as fast as the server answers). */
  rate?: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const { next, tokens } = options;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    overallRate: options.rate,
    // A GraphQL error comes back with status 200: count it as an error too.
    verifyBody: (body) => !body.includes('"errors"'),
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const planned = next();
          context.planned = planned;
          const headers: Record<string, string> = { ...request.headers, 'content-type': 'application/json' };
          if (planned.memberId !== null) headers.authorization = `Bearer ${tokens.get(planned.memberId)}`;
          return { ...request, method: 'POST', headers, body: planned.body };
        },
        onResponse: (_status, body, context) => {
          (context.planned as Planned | undefined)?.onResponse?.(body);
        },
      },
    ],
  });
  const result = await instance;
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}
