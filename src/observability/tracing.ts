/**
 * Optional OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per HTTP request
 * (instrumentation-http), per GraphQL operation and non-trivial resolver (@envelop/opentelemetry), per
 * Prisma operation and SQL statement (@prisma/instrumentation) and per hand-written read (`db_query`,
 * src/db/reads.ts), exported over OTLP/HTTP in batches.
 *
 * Spans never carry values a client sent: GraphQL variables and results are not recorded, resolver
 * arguments are dropped, and the `query` / `variables` of GET requests are redacted from HTTP spans.
 * The tracer provider is process-wide (instrumentations patch modules), shared by every app of the
 * process and shut down, flushing what is pending, when the last of them closes.
 */
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { INVALID_SPAN_CONTEXT, SpanKind, context, propagation, trace, type Attributes, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { getNamedType, isLeafType, type GraphQLSchema } from 'graphql';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { useOpenTelemetry, AttributeName } from '@envelop/opentelemetry';
import type { Plugin } from 'graphql-yoga';
import type { ObservabilityConfig } from '../config.ts';

export interface Tracing {
  /** The Yoga plugin creating the GraphQL operation and resolver spans. */
  plugin: Plugin;
  /** Releases this app's use of the tracer provider (flushing; the last release shuts it down). */
  close(): Promise<void>;
}

/** Paths polled by machines get no spans. */
const UNTRACED_PATHS = /^\/(health|ready|metrics)(\?|$)/;
/** Query parameters of GET requests that hold a client's document and values. */
const REDACTED_QUERY_PARAMETERS = ['query', 'variables', 'extensions', 'token', 'access_token'];
/** Span attributes that could hold a client's values (resolver arguments). */
const DROPPED_ATTRIBUTES: string[] = [AttributeName.RESOLVER_ARGS, AttributeName.EXECUTION_VARIABLES, AttributeName.EXECUTION_RESULT];

/** How long stopping waits for the last spans to reach the collector: an absent one must not hold shutdown. */
const FLUSH_TIMEOUT_MS = 2_000;
const withinFlushTime = (flushing: Promise<void>) => Promise.race([flushing.catch(() => undefined), delay(FLUSH_TIMEOUT_MS, undefined, { ref: false })]);

let shared: { provider: NodeTracerProvider; disable: () => void; users: number } | null = null;

function startProvider(config: ObservabilityConfig & { otlpEndpoint: string }) {
  if (shared) {
    shared.users += 1;
    return shared;
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }))],
  });
  // Global context manager (AsyncLocalStorage) and W3C propagation, so spans nest across async calls.
  provider.register();
  const disable = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        disableOutgoingRequestInstrumentation: true,
        redactedQueryParamsServer: REDACTED_QUERY_PARAMETERS,
      }),
      new PrismaInstrumentation(),
    ],
  });
  // node:http is already loaded (ES modules import it before this runs): loading it through require lets
  // the instrumentation patch its Server, which every request goes through.
  createRequire(import.meta.url)('node:http');
  shared = { provider, disable, users: 1 };
  return shared;
}

/**
 * A tracer provider whose tracers leave out the attributes that could hold a client's values, and make no
 * span for resolvers of scalar and enum fields (one per field per row would bury the ones that matter:
 * operations, root fields, lists and objects, and the SQL under them).
 */
function forGraphQL(provider: TracerProvider, isLeafResolver: (attributes: Attributes) => boolean): TracerProvider {
  const clean = (attributes: Attributes | undefined) => {
    if (!attributes) return attributes;
    const kept = { ...attributes };
    for (const name of DROPPED_ATTRIBUTES) delete kept[name];
    return kept;
  };
  return {
    getTracer(name, version, options) {
      const tracer = provider.getTracer(name, version, options);
      const wrapped: Tracer = {
        startSpan: (spanName, spanOptions, parent) =>
          spanOptions?.attributes && isLeafResolver(spanOptions.attributes)
            ? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
            : tracer.startSpan(spanName, spanOptions && { ...spanOptions, attributes: clean(spanOptions.attributes) }, parent),
        startActiveSpan: tracer.startActiveSpan.bind(tracer) as Tracer['startActiveSpan'],
      };
      return wrapped;
    },
  };
}

/** Starts tracing when an OTLP endpoint is configured; otherwise null. */
export function startTracing(config: ObservabilityConfig): Tracing | null {
  if (!config.otlpEndpoint) return null;
  const state = startProvider({ ...config, otlpEndpoint: config.otlpEndpoint });
  let schema: GraphQLSchema | null = null;
  const isLeafResolver = (attributes: Attributes) => {
    const field = attributes[AttributeName.RESOLVER_FIELD_NAME];
    const parent = attributes[AttributeName.RESOLVER_TYPE_NAME];
    if (typeof field !== 'string' || typeof parent !== 'string' || !schema) return false;
    const type = schema.getType(parent);
    const returned = type && 'getFields' in type ? type.getFields()[field]?.type : undefined;
    return !!returned && isLeafType(getNamedType(returned)) && parent !== schema.getQueryType()?.name && parent !== schema.getMutationType()?.name;
  };
  const operations = useOpenTelemetry(
    { resolvers: true, defaultResolvers: false, variables: false, result: false },
    forGraphQL(state.provider, isLeafResolver),
    SpanKind.INTERNAL,
    {},
    config.serviceName,
  ) as Plugin;
  const plugin: Plugin = {
    onPluginInit: ({ addPlugin }) => addPlugin(operations),
    onSchemaChange: ({ schema: current }) => {
      schema = current;
    },
  };
  let closed = false;
  return {
    plugin,
    async close() {
      if (closed) return;
      closed = true;
      state.users -= 1;
      if (state.users > 0 || shared !== state) return void (await withinFlushTime(state.provider.forceFlush()));
      shared = null;
      state.disable();
      await withinFlushTime(state.provider.shutdown());
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
