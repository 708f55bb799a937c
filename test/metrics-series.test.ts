/**
 * The gateway's own counters and histograms for per-request series (src/observability/series.ts) must be
 * indistinguishable, at /metrics, from prom-client's: the same observations print the same text.
 */
import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../src/observability/series.ts';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['operationName', 'operationType', 'method', 'statusCode'] as const;

/** Deterministic pseudo-random durations spread over (and past) the buckets, edges included. */
function durations(count: number): number[] {
  const edges = [0, 0.005, 0.01, 1, 10, 10.000001, 42];
  let seed = 7;
  return Array.from({ length: count }, (_, i) => {
    if (i < edges.length) return edges[i]!;
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31) ** 3 * 12;
  });
}

const SERIES = [
  { operationName: 'Groups', operationType: 'query', method: 'POST', statusCode: 200 },
  { operationName: 'anonymous', operationType: 'query', method: 'GET', statusCode: 200 },
  { operationName: 'Join "quoted" \\ back\nslash', operationType: 'mutation', method: 'POST', statusCode: 400 },
];

describe('series metrics', () => {
  it('print the same histogram text as prom-client for the same observations', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const options = { name: 'graphql_yoga_http_duration', help: 'Time from an HTTP request to its response, seconds', labelNames: LABELS, buckets: BUCKETS };
    const reference = new Histogram({ ...options, registers: [theirs] });
    const histogram = new SeriesHistogram({ ...options, registers: [ours] });
    const bound = histogram.of(SERIES[0]!);
    durations(500).forEach((value, i) => {
      const labels = SERIES[i % SERIES.length]!;
      reference.observe(labels, value);
      if (i % SERIES.length === 0) bound.observe(value);
      else histogram.observe(labels, value);
    });
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('graphql_yoga_http_duration_bucket{le="+Inf",operationName="Groups",operationType="query",method="POST",statusCode="200"} 167');
  });

  it('print the same counter text as prom-client, and count a bound series', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const options = { name: 'gateway_http_requests_total', help: 'HTTP requests answered', labelNames: ['route', 'method', 'status'] as const };
    const reference = new Counter({ ...options, registers: [theirs] });
    const counter = new SeriesCounter({ ...options, registers: [ours] });
    const graphql = counter.of({ route: '/graphql', method: 'POST', status: 200 });
    for (let i = 0; i < 300; i++) {
      const labels = i % 3 === 0 ? { route: '/graphql', method: 'POST', status: 200 } : { route: 'other', method: 'GET', status: 404 };
      reference.inc(labels);
      if (i % 3 === 0) graphql.value++;
      else counter.inc(labels);
    }
    reference.inc({ route: '/metrics', method: 'GET', status: 200 }, 5);
    counter.inc({ route: '/metrics', method: 'GET', status: 200 }, 5);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(graphql.value).toBe(100);
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('keep one series per set of label values, whatever their order, and refuse a missing label', () => {
    const counter = new SeriesCounter({ name: 'c', help: 'c', labelNames: ['a', 'b'] as const, registers: [] });
    expect(counter.of({ a: 'x', b: 'y' })).toBe(counter.of({ b: 'y', a: 'x' }));
    // Values that would join into the same text stay apart.
    expect(counter.of({ a: 'x:', b: 'y' })).not.toBe(counter.of({ a: 'x', b: ':y' }));
    expect(() => counter.of({ a: 'x' } as never)).toThrow(/label "b" missing/);
    const histogram = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['a'] as const, buckets: [1], registers: [] });
    expect(() => histogram.observe({ a: 'x' }, Number.NaN)).toThrow(/not a valid number/);
  });
});
