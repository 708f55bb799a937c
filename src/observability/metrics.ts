/**
 * Prometheus metrics at `/metrics`, served by a prom-client registry and recorded by the plugin below:
 * per-operation timings (under the names Envelop's and Yoga's Prometheus plugins give them, so their
 * dashboards work), and the gateway's own counters (HTTP requests, errors by contract code, SQL statements,
 * live subscribers). The series written on every request or statement are kept by src/observability/series.ts,
 * the rest by prom-client. Every app gets its own registry, so several gateways in one process (the tests)
 * never share a series.
 *
 *   graphql_envelop_request{operationName,operationType}              operations run (any transport)
 *   graphql_envelop_request_duration_bucket{operationName,…}          query or mutation, parse to end of execution, seconds
 *   graphql_envelop_phase_{execute,subscribe}_bucket{…}               execution; starting a subscription, seconds
 *   graphql_yoga_http_duration_bucket{operationName,…,method,statusCode}  HTTP request to response, seconds
 *   gateway_http_requests_total{route,method,status}                  every HTTP request, rejected ones too
 *                                                                     (route and method `unknown`: not readable)
 *   gateway_graphql_errors_total{code,operationName}                  errors returned, by contract code
 *   gateway_db_statement_duration_seconds_{bucket,count,sum}{statement}   SQL statements (count = _count)
 *   gateway_live_subscribers{transport}                               open subscriptions, `sse` or `ws`
 *   gateway_ws_connections, gateway_ws_connections_closed_total{code}  WebSocket connections (connections.ts)
 *   process_*, nodejs_*                                               prom-client's process metrics
 *
 * Parse, validate and context building are not timed: cached or microseconds, a histogram each would cost
 * more than the phase it timed.
 *
 * Operation names come from clients, so only the first 200 distinct ones become label values (then
 * `other`); error codes are the contract's upper-case codes.
 */
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { httpStreamTransport } from '../media-types.ts';
import { boundedNames, describeOperation, errorCode, pathOf, type HttpObserver, type LiveTransport } from './operation.ts';
import { requestSlot } from './request-state.ts';
import { SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from './series.ts';

export type { LiveTransport } from './operation.ts';

export interface MetricsOptions {
  /** When set, `/metrics` answers only requests with `Authorization: Bearer <token>` (METRICS_TOKEN). */
  token?: string | null;
  /** Where the metrics are served (default `/metrics`). */
  endpoint?: string;
}

export interface Metrics {
  registry: Registry;
  /** The Yoga plugin: serves the endpoint and records requests, operations, errors and subscriptions. */
  plugin: Plugin;
  /** The plugin's HTTP recording, for requests answered outside Yoga's request hooks (src/graphql-post.ts). */
  http: HttpObserver;
  /**
   * Counts an HTTP request answered before Yoga or the direct POST path saw it (observability/connections.ts):
   * `path` and `method` are null when Node could not read them.
   */
  countHttpRequest(path: string | null, method: string | null, status: number): void;
  /** Counts one GraphQL error of a graphql-ws operation refused outside the Envelop phases (src/http.ts). */
  countError(code: string, operationName: string | null | undefined): void;
  /** Records one SQL statement (the database client's `onQuery`). */
  observeStatement(sql: string, durationMs: number): void;
  /** Counts one open live subscription; call the returned function (once or more) when it ends. */
  liveSubscriber(transport: LiveTransport): () => void;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SQL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
const STATEMENT_KINDS = new Set(['select', 'insert', 'update', 'delete']);
const TRANSACTION_WORDS = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release']);
const ROUTES = new Set(['/graphql', '/metrics', '/health', '/ready']);

/** The kind of a SQL statement, from its first word: select, insert, update, delete, transaction or other. */
export function statementKind(sql: string): string {
  const word = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase() ?? '';
  if (STATEMENT_KINDS.has(word)) return word;
  return TRANSACTION_WORDS.has(word) ? 'transaction' : 'other';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const endpoint = options.endpoint ?? '/metrics';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operationLabel = boundedNames();

  const httpRequests = new SeriesCounter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests answered, by route, method and status (rejected requests included)',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gateway_graphql_errors_total',
    help: 'GraphQL errors returned to clients, by contract code (extensions.code) and operation',
    labelNames: ['code', 'operationName'] as const,
    registers: [registry],
  });
  const statements = new SeriesHistogram({
    name: 'gateway_db_statement_duration_seconds',
    help: 'SQL statements run by the database client, by kind (the _count is the number of statements)',
    labelNames: ['statement'] as const,
    buckets: SQL_BUCKETS,
    registers: [registry],
  });
  const live = new Gauge({
    name: 'gateway_live_subscribers',
    help: 'Open live subscriptions, by transport (sse, multipart or ws)',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  for (const transport of ['sse', 'multipart', 'ws'] as const) live.set({ transport }, 0);

  function liveSubscriber(transport: LiveTransport) {
    live.inc({ transport });
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      live.dec({ transport });
    };
  }

  // The per-operation series. Written here rather than with Yoga's Prometheus plugin: that plugin is general
  // (any metric, any phase, configurable labels) and paid for it on every request, with filtered handler
  // lists, label objects built through Object.entries and several closures per phase. It cost a fifth of
  // the throughput of a small request (`{ __typename }`, bench/README.md, round 4) where this costs a few
  // percent. Times are taken with performance.now(): the plugin's Date.now() recorded 0 for most queries.
  const operationLabels = ['operationName', 'operationType'] as const;
  const operationsRun = new SeriesCounter({
    name: 'graphql_envelop_request',
    help: 'GraphQL operations run: queries and mutations as their execution ends, subscriptions as they start',
    labelNames: operationLabels,
    registers: [registry],
  });
  const operationHistogram = (name: string, help: string) =>
    new SeriesHistogram({ name, help, labelNames: operationLabels, buckets: SECONDS_BUCKETS, registers: [registry] });
  const requestDuration = operationHistogram(
    'graphql_envelop_request_duration',
    'Time of a query or mutation from parse to the end of its execution, seconds',
  );
  const executeDuration = operationHistogram('graphql_envelop_phase_execute', 'Time spent executing a query or mutation, seconds');
  const subscribeDuration = operationHistogram(
    'graphql_envelop_phase_subscribe',
    'Time to start a subscription (until its stream is open or refused), seconds',
  );
  const httpDuration = new SeriesHistogram({
    name: 'graphql_yoga_http_duration',
    help: 'Time from an HTTP request to its response, seconds (GraphQL requests that parsed)',
    labelNames: ['operationName', 'operationType', 'method', 'statusCode'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });

  const countErrors = (result: unknown, operationName: string | null | undefined) => {
    for (const one of Array.isArray(result) ? result : [result]) {
      for (const error of (one as { errors?: readonly unknown[] } | null)?.errors ?? []) {
        errors.inc({ code: errorCode(error), operationName: operationLabel(operationName) });
      }
    }
  };

  /**
   * What is known of one HTTP request or graphql-ws operation. Keyed by the Fetch Request over HTTP, by the
   * context object over graphql-ws (src/http.ts builds one per operation; Envelop passes it to every phase).
   */
  interface Operation {
    /** When the HTTP request arrived (performance.now(); 0 over graphql-ws). */
    receivedAt: number;
    /** When its document was parsed (or found in the parse cache). */
    parsedAt: number;
    /** The operation's name: from the request's parameters, then from its parsed document. */
    name: string | null | undefined;
    /** Its series, once the document parsed. */
    series: OperationSeries | null;
  }
  /** The series of one operation name and type, shared by all its requests; each made when first written. */
  interface OperationSeries {
    labels: { operationName: string; operationType: string };
    /** Queries and mutations: operations run, execution and parse-to-end durations. */
    executions: { run: CounterSeries; execute: HistogramSeries; request: HistogramSeries } | null;
    /** HTTP durations, by `${method} ${status}`. */
    http: Map<string, HistogramSeries>;
  }
  // At most (200 names + `anonymous` + `other`) x 4 types.
  const seriesOfOperations = new Map<string, OperationSeries>();
  const operationSeries = (operationName: string, operationType: string): OperationSeries => {
    const key = `${operationType} ${operationName}`;
    let series = seriesOfOperations.get(key);
    if (!series) {
      series = { labels: { operationName, operationType }, executions: null, http: new Map() };
      seriesOfOperations.set(key, series);
    }
    return series;
  };
  const operations = requestSlot<Operation>('metrics operation');
  const newOperation = (receivedAt: number): Operation => ({ receivedAt, parsedAt: receivedAt, name: undefined, series: null });
  const operationAt = (key: object): Operation => {
    return operations.get(key) ?? operations.set(key, newOperation(0));
  };
  /** The operation of a GraphQL phase's context: its HTTP request's, or the graphql-ws operation's own. */
  const operationOf = (context: unknown): Operation => operationAt(((context as { request?: Request }).request ?? context) as object);
  const seconds = (from: number, to: number) => (to - from) / 1000;
  /** An execution has ended (or its incremental result has): it is counted and timed. */
  const executionDone = (operation: Operation, startedAt: number, overHttp: boolean, result: unknown) => {
    const endedAt = performance.now();
    const { series } = operation;
    if (series) {
      const { labels } = series;
      const executions = (series.executions ??= {
        run: operationsRun.of(labels),
        execute: executeDuration.of(labels),
        request: requestDuration.of(labels),
      });
      executions.run.value++;
      executions.execute.observe(seconds(startedAt, endedAt));
      executions.request.observe(seconds(operation.parsedAt, endedAt));
    }
    // graphql-ws operations have no HTTP response: their errors are counted as their execution ends.
    if (!overHttp && result) countErrors(result, operation.name);
  };

  const countHttpRequest = (path: string | null, method: string | null, status: number) => {
    const route = path === null ? 'unknown' : ROUTES.has(path) ? path : 'other';
    httpRequests.inc({ route, method: method ?? 'unknown', status });
  };

  const http: HttpObserver = {
    requestStarted(request) {
      operations.set(request, newOperation(performance.now()));
    },
    paramsRead(request, params) {
      operationAt(request).name = params?.operationName; // null: a batch's item that is not an object
    },
    // HTTP: the errors of the response as sent (masked, after every phase, token checks included).
    resultReady(request, result) {
      if (!isAsyncIterable(result)) countErrors(result, operations.get(request)?.name);
    },
    responded(request, status) {
      countHttpRequest(pathOf(request.url), request.method, status);
      const operation = operations.get(request);
      const series = operation?.series;
      if (series) {
        const key = `${request.method} ${status}`;
        let duration = series.http.get(key);
        if (!duration) {
          const { operationName, operationType } = series.labels;
          duration = httpDuration.of({ operationName, operationType, method: request.method, statusCode: status });
          series.http.set(key, duration);
        }
        duration.observe(seconds(operation.receivedAt, performance.now()));
      }
    },
  };

  const plugin: Plugin = {
    onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return http.requestStarted(request);
      // The scheme in any case, as RFC 9110 (11.1) has it and as /graphql reads it; the token as it is.
      const authorization = (request.headers.get('authorization') ?? '').replace(/^bearer /i, 'Bearer ');
      if (options.token && !sameSecret(authorization, `Bearer ${options.token}`)) {
        endResponse(new fetchAPI.Response('Unauthorized\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
        return;
      }
      return registry.metrics().then((text) => {
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } }));
      });
    },
    onResponse({ request, response }) {
      http.responded(request, response.status, () => undefined);
    },
    onParams({ request, params }) {
      http.paramsRead(request, params);
    },
    onParse({ context }) {
      const operation = operationOf(context);
      operation.parsedAt = performance.now();
      const { request, params } = context as { request?: Request; params?: { operationName?: string | null } };
      return ({ result }) => {
        if (result && !(result instanceof Error)) {
          const { name, type } = describeOperation(result, params?.operationName);
          operation.name = name;
          operation.series = operationSeries(operationLabel(name), type ?? 'unknown');
        } else if (!request) {
          // graphql-ws answers what does not parse or validate itself (src/http.ts), so it is counted here.
          errors.inc({ code: 'GRAPHQL_PARSE_FAILED', operationName: operationLabel(params?.operationName) });
        }
      };
    },
    onValidate({ context, params: { documentAST } }) {
      const { request, params } = context as { request?: Request; params?: { operationName?: string | null } };
      if (request) return;
      return ({ valid, result }) => {
        if (valid) return;
        const name = operationLabel(describeOperation(documentAST, params?.operationName).name);
        errors.inc({ code: 'GRAPHQL_VALIDATION_FAILED', operationName: name }, result.length);
      };
    },
    onResultProcess({ request, result }) {
      http.resultReady(request, result);
    },
    onExecute({ args }) {
      const operation = operationOf(args.contextValue);
      const overHttp = Boolean((args.contextValue as { request?: Request }).request);
      const startedAt = performance.now();
      return {
        // Methods rather than arrow functions for the hooks made per request: the TypeScript loader names
        // each arrow function it assigns to a key (Object.defineProperty, ~0.5 µs a call).
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) return executionDone(operation, startedAt, overHttp, result);
          // An incremental result (@defer/@stream): timed to its end, its errors counted as they come.
          return {
            onNext: ({ result: next }) => {
              if (!overHttp) countErrors(next, operation.name);
            },
            onEnd: () => executionDone(operation, startedAt, overHttp, null),
          };
        },
      };
    },
    // Live subscribers: a subscription counts from its stream's start to its end, on either transport.
    onSubscribe({ args }) {
      const operation = operationOf(args.contextValue);
      const request = (args.contextValue as { request?: Request }).request;
      const transport: LiveTransport = request ? (httpStreamTransport(request.headers.get('accept')) ?? 'sse') : 'ws';
      const startedAt = performance.now();
      let release: (() => void) | null = null;
      return {
        onSubscribeResult: ({ result }) => {
          if (operation.series) {
            operationsRun.inc(operation.series.labels);
            subscribeDuration.observe(operation.series.labels, seconds(startedAt, performance.now()));
          }
          if (!isAsyncIterable(result)) {
            if (!request) countErrors(result, operation.name);
            return;
          }
          release = liveSubscriber(transport);
          return { onEnd: () => release?.() };
        },
        onSubscribeError: () => release?.(),
      };
    },
  };

  return {
    registry,
    plugin,
    http,
    countHttpRequest,
    countError: (code, operationName) => errors.inc({ code, operationName: operationLabel(operationName) }),
    observeStatement: (sql, durationMs) => statements.observe({ statement: statementKind(sql) }, durationMs / 1000),
    liveSubscriber,
  };
}
