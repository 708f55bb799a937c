/**
 * Prometheus metrics at `/metrics`: Yoga's Prometheus plugin for the per-operation timings, plus the
 * gateway's own counters (HTTP requests, errors by contract code, SQL statements, live subscribers).
 * Every app gets its own registry, so several gateways in one process (the tests) never share a series.
 *
 *   graphql_envelop_request{operationName,operationType}              operations executed (any transport)
 *   graphql_envelop_request_duration_bucket{operationName,…}          parse to end of execution, seconds
 *   graphql_envelop_phase_{parse,validate,context,execute,subscribe}   each phase, seconds
 *   graphql_yoga_http_duration_bucket{operationName,…,method,statusCode}  HTTP request to response, seconds
 *   gateway_http_requests_total{route,method,status}                  every HTTP request, rejected ones too
 *   gateway_graphql_errors_total{code,operationName}                  errors returned, by contract code
 *   gateway_db_statement_duration_seconds_{bucket,count,sum}{statement}   SQL statements (count = _count)
 *   gateway_live_subscribers{transport}                               open subscriptions, `sse` or `ws`
 *   process_*, nodejs_*                                               prom-client's process metrics
 *
 * Operation names come from clients, so only the first 200 distinct ones become label values (then
 * `other`); error codes are the contract's upper-case codes.
 */
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { usePrometheus, createCounter, createHistogram, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { getOperationAST } from 'graphql';
import { boundedNames, describeOperation, errorCode, pathOf, type LiveTransport } from './operation.ts';

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

/**
 * Counts a live subscription on `metrics` (when metrics are on) and returns its release, safe to call more
 * than once. The gateway counts its own SSE and graphql-ws subscriptions; this is for any other live code.
 */
export function trackLiveSubscriber(metrics: Metrics | null | undefined, transport: LiveTransport): () => void {
  return metrics ? metrics.liveSubscriber(transport) : () => undefined;
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

  const httpRequests = new Counter({
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
  const statements = new Histogram({
    name: 'gateway_db_statement_duration_seconds',
    help: 'SQL statements run by the database client, by kind (the _count is the number of statements)',
    labelNames: ['statement'] as const,
    buckets: SQL_BUCKETS,
    registers: [registry],
  });
  const live = new Gauge({
    name: 'gateway_live_subscribers',
    help: 'Open live subscriptions, by transport (sse or ws)',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  for (const transport of ['sse', 'ws'] as const) live.set({ transport }, 0);

  function liveSubscriber(transport: LiveTransport) {
    live.inc({ transport });
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      live.dec({ transport });
    };
  }

  // Labels of the plugin's per-operation metrics: the operation's name (bounded) and type.
  const byOperation = (params: FillLabelsFnParams, context: { params?: { operationName?: string | null } } | null) => ({
    operationName: operationLabel(
      context?.params?.operationName ?? (params.document ? getOperationAST(params.document)?.name?.value : undefined),
    ),
    operationType: params.operationType ?? 'unknown',
  });
  const operationHistogram = <Phase>(name: string, help: string) =>
    createHistogram<Phase, 'operationName' | 'operationType'>({
      registry,
      histogram: { name, help, labelNames: ['operationName', 'operationType'], buckets: SECONDS_BUCKETS },
      fillLabelsFn: byOperation,
    });

  const prometheus = usePrometheus({
    registry,
    endpoint: false, // served below, behind the optional token
    metrics: {
      graphql_envelop_request: createCounter<'execute' | 'subscribe', 'operationName' | 'operationType'>({
        registry,
        counter: { name: 'graphql_envelop_request', help: 'GraphQL operations executed', labelNames: ['operationName', 'operationType'] },
        fillLabelsFn: byOperation,
      }),
      graphql_envelop_request_duration: operationHistogram(
        'graphql_envelop_request_duration',
        'Time of a GraphQL operation from parse to the end of its execution, seconds',
      ),
      // Parse, validate and context building are cached or tiny (microseconds): a histogram each cost more
      // than the phases they timed. The request and execute histograms show where time goes.
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: operationHistogram('graphql_envelop_phase_execute', 'Time spent executing, seconds'),
      graphql_envelop_phase_subscribe: operationHistogram('graphql_envelop_phase_subscribe', 'Time spent starting a subscription, seconds'),
      graphql_yoga_http_duration: createHistogram<'request', 'operationName' | 'operationType' | 'method' | 'statusCode', FillLabelsFnParams & { request: Request; response: Response }>({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Time from an HTTP request to its response, seconds (GraphQL requests that parsed)',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
          buckets: SECONDS_BUCKETS,
        },
        fillLabelsFn: (params: FillLabelsFnParams & { request: Request; response: Response }) => ({
          operationName: operationLabel(params.operationName),
          operationType: params.operationType ?? 'unknown',
          method: params.request.method,
          statusCode: params.response.status,
        }),
      }),
      // Errors are counted by contract code below; the rest is not useful here.
      graphql_envelop_error_result: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
    },
  });

  const countErrors = (result: unknown, operationName: string | null | undefined) => {
    for (const one of Array.isArray(result) ? result : [result]) {
      for (const error of (one as { errors?: readonly unknown[] } | null)?.errors ?? []) {
        errors.inc({ code: errorCode(error), operationName: operationLabel(operationName) });
      }
    }
  };

  // The operation each HTTP request ran: from its parameters, then from its parsed document.
  const operationNames = new WeakMap<Request, string | null | undefined>();

  const plugin: Plugin = {
    onPluginInit({ addPlugin }) {
      addPlugin(prometheus);
    },
    onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      const authorization = request.headers.get('authorization') ?? '';
      if (options.token && !sameSecret(authorization, `Bearer ${options.token}`)) {
        endResponse(new fetchAPI.Response('Unauthorized\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
        return;
      }
      return registry.metrics().then((text) => {
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } }));
      });
    },
    onResponse({ request, response }) {
      const path = pathOf(request.url);
      httpRequests.inc({ route: ROUTES.has(path) ? path : 'other', method: request.method, status: response.status });
    },
    onParams({ request, params }) {
      operationNames.set(request, params.operationName);
    },
    onParse({ context }) {
      const { request, params } = context as { request?: Request; params?: { operationName?: string | null } };
      return ({ result }) => {
        if (result && !(result instanceof Error)) {
          if (request) operationNames.set(request, describeOperation(result, params?.operationName).name);
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
    // HTTP: the errors of the response as sent (masked, after every phase, token checks included).
    onResultProcess({ request, result }) {
      if (!isAsyncIterable(result)) countErrors(result, operationNames.get(request));
    },
    onExecute({ args }) {
      if ((args.contextValue as { request?: Request }).request) return;
      const name = describeOperation(args.document, args.operationName).name;
      // graphql-ws operations have no HTTP response: their errors are counted as their execution ends.
      return {
        onExecuteDone: ({ result }) => {
          if (!isAsyncIterable(result)) countErrors(result, name);
        },
      };
    },
    // Live subscribers: a subscription counts from its stream's start to its end, on either transport.
    onSubscribe({ args }) {
      const name = describeOperation(args.document, args.operationName).name;
      const request = (args.contextValue as { request?: Request }).request;
      const transport: LiveTransport = request ? 'sse' : 'ws';
      let release: (() => void) | null = null;
      return {
        onSubscribeResult: ({ result }) => {
          if (!isAsyncIterable(result)) {
            if (!request) countErrors(result, name);
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
    observeStatement: (sql, durationMs) => statements.observe({ statement: statementKind(sql) }, durationMs / 1000),
    liveSubscriber,
  };
}
