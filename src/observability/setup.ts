/**
 * The gateway's operability, assembled for buildApp(): JSON logs, Prometheus metrics, optional tracing,
 * each configured from ObservabilityConfig (src/config.ts).
 */
import type { DestinationStream } from 'pino';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { createLoggers, requestLogging, yogaLogger, type Logger } from './logging.ts';
import type { HttpObserver } from './operation.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { connectionObserver, type ConnectionObserver } from './connections.ts';
import { startTracing, type Tracing } from './tracing.ts';

export interface ObservabilityOptions {
  /** Where the JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
}

export interface Observability {
  logger: Logger;
  /** Yoga's `logging` option: its messages through the same JSON logger. */
  yogaLogger: ReturnType<typeof yogaLogger>;
  /** Null when METRICS_ENABLED=false. */
  metrics: Metrics | null;
  /** Null unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing: Tracing | null;
  /** Yoga plugins, in order: request logs, metrics, tracing. */
  plugins: Plugin[];
  /** The HTTP recording of the request logs and metrics, for the direct POST path (src/graphql-post.ts). */
  http: HttpObserver[];
  /** The logs and metrics of refusals before Yoga and of WebSocket connections (src/http.ts). */
  connections: ConnectionObserver;
  /** The database client's per-statement hook (undefined when nothing listens). */
  onQuery: ((sql: string, durationMs: number) => void) | undefined;
  /** Flushes and releases what needs it (pending spans). */
  close(): Promise<void>;
}

export function createObservability(config: Config, options: ObservabilityOptions = {}): Observability {
  const settings = config.observability;
  const tracing = startTracing(settings);
  const { logger, requestLines } = createLoggers(settings.logLevel, options.logDestination, tracing !== null);
  const metrics = settings.metricsEnabled ? createMetrics({ token: settings.metricsToken }) : null;
  const logging = requestLogging(requestLines);
  const plugins: Plugin[] = [logging.plugin];
  const http = [logging.http];
  if (metrics) {
    plugins.push(metrics.plugin);
    http.push(metrics.http);
  }
  if (tracing) plugins.push(tracing.plugin);
  return {
    logger,
    yogaLogger: yogaLogger(logger),
    metrics,
    tracing,
    plugins,
    http,
    connections: connectionObserver(requestLines, metrics),
    onQuery: metrics?.observeStatement,
    close: async () => {
      await tracing?.close();
    },
  };
}
