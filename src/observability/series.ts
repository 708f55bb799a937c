/**
 * Counters and histograms for the per-request series: each series (one set of label values) is looked up
 * once and then updated with a few additions, and the metric is served through a prom-client registry like
 * any of prom-client's own (same text, same HELP and TYPE lines, same `le` buckets).
 *
 * Written by hand because prom-client validates and hashes the label object on every observation, and its
 * `labels()` children do it again on every call (prometheus/client_js#38, open since 2016): ~0.3 µs an
 * observation, and a request makes five, about a tenth of the gateway's own CPU for `{ __typename }`
 * (bench/README.md, round 9). Only these hot series are kept here; everything else is plain prom-client.
 * test/metrics-series.test.ts checks that both print the same text for the same observations.
 */
import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string | number>;

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

/** What a prom-client registry reads of a metric (prom-client's MetricObjectWithValues). */
interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/** The series of one metric, by their label values in `labelNames` order. */
abstract class SeriesMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: Exported['type'];
  readonly aggregator = 'sum' as const;
  private readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: Labels<L>; series: S }>();

  constructor(options: MetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // The registry reads a metric through `name`, `help`, `type`, `aggregator`, `get()` and `reset()`
    // only: this is one in all but prom-client's class names.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(): S;

  /** The series of these label values (every one of `labelNames`, as prom-client requires), made once. */
  of(labels: Labels<L>): S {
    let key = '';
    for (const name of this.labelNames) {
      const value = labels[name];
      if (value === undefined) throw new Error(`${this.name}: label "${name}" missing`);
      key += `${String(value).length}:${value}`;
    }
    let entry = this.series.get(key);
    if (!entry) {
      const own = {} as Labels<L>;
      for (const name of this.labelNames) own[name] = labels[name];
      entry = { labels: own, series: this.create() };
      this.series.set(key, entry);
    }
    return entry.series;
  }

  protected abstract values(): Exported['values'];

  /**
   * Forgets every series, as prom-client's `reset()` does (the registry's `resetMetrics()`). A series handed
   * out before by `of()` is detached: what it counts afterwards is not shown.
   */
  reset() {
    this.series.clear();
  }

  async get(): Promise<Exported> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() };
  }
}

/** One counter series. */
export interface CounterSeries {
  value: number;
}

export class SeriesCounter<L extends string> extends SeriesMetric<L, CounterSeries> {
  readonly type = 'counter' as const;

  protected create(): CounterSeries {
    return { value: 0 };
  }

  /** Adds one (or `by`) to the series of these labels; `of()` once and `value++` is the fast way. */
  inc(labels: Labels<L>, by = 1) {
    this.of(labels).value += by;
  }

  protected values() {
    return [...this.series.values()].map(({ labels, series }) => ({ labels, value: series.value }));
  }
}

/** One histogram series: counts per bucket (not cumulative), their sum and count. */
export class HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly upperBounds: readonly number[]) {
    this.counts = new Array<number>(upperBounds.length).fill(0);
  }

  observe(value: number) {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

export class SeriesHistogram<L extends string> extends SeriesMetric<L, HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly upperBounds: readonly number[];

  constructor(options: MetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
  }

  protected create() {
    return new HistogramSeries(this.upperBounds);
  }

  observe(labels: Labels<L>, value: number) {
    this.of(labels).observe(value);
  }

  /** As prom-client lists a histogram: cumulative buckets (`le` first), +Inf, then sum and count. */
  protected values() {
    const values: Exported['values'] = [];
    for (const { labels, series } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', ...labels }, value: series.count, metricName: `${this.name}_bucket` },
        { labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return values;
  }
}
