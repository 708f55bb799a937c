/**
 * buildApp(): the gateway as a Yoga instance, schema with permissions applied. Tests use it in-process
 * (`app.yoga.fetch`) through the real HTTP handling; server.ts puts it on a port.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, maskError as defaultMaskError } from 'graphql-yoga';
import type { CORSOptions } from '@whatwg-node/server';
import { applyMiddleware } from 'graphql-middleware';
import { getOperationAST, GraphQLError, Kind, type DocumentNode } from 'graphql';
import { clientMistakeCode, clientMistakes, withoutSuggestions } from './errors.ts';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/client.ts';
import { databaseKind, keepSqliteStatistics } from './db/adapter.ts';
import { createEventBus } from './pubsub.ts';
import { Audience } from './live/audience.ts';
import { createContext, type AppServices } from './context.ts';
import { secretKey } from './auth/viewer.ts';
import { KeysUnavailable, tokenVerifier } from './auth/tokens.ts';
import { permissionMiddleware } from './auth/permissions.ts';
import { schema } from './schema/index.ts';
import { checkReadiness, useReadiness } from './health.ts';
import { createObservability, type ObservabilityOptions } from './observability/setup.ts';
import { graphiqlOptions, renderLocalGraphiQL } from './observability/graphiql.ts';
import { createRateCounter, limitOptions, limitPlugins } from './limits.ts';
import { useEndRefusedStreams } from './live/refused-streams.ts';
import { useSseEventIds } from './live/sse-event-ids.ts';
import { MemberNameRecorder } from './db/member-names.ts';
import { useMediaTypeNegotiation, useRefusalBodies } from './media-types.ts';
import { persistedQueryStore, usePersistedQueries } from './persisted-queries.ts';
import { documentCaches } from './document-cache.ts';

export interface AppOptions extends ObservabilityOptions {
  /** An existing database client (tests pass one that counts statements; the metrics do not see its SQL). */
  db?: Db;
}

const INTERNAL_MESSAGE = 'Something went wrong on our side. Try again later.';

/**
 * Errors reach clients as the contract's codes. A GraphQLError carrying a code passes as it is; graphql's
 * own parse and validation errors get GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED (or BAD_USER_INPUT
 * for variables of the wrong type); anything else is INTERNAL_SERVER_ERROR with a fixed message, so no stack
 * trace, SQL or internal name ever leaves the process.
 */
export function maskError(error: unknown): Error {
  // The identity provider's keys out of reach: the request could not be served now, and may be in a moment.
  // 503 with Retry-After (JWKS fetches are retried at most every 30 s, tokens.ts), never 200: a request
  // refused as a whole has no `data`, and a monitor or client keyed on the status must see a failure.
  if ((error instanceof GraphQLError ? error.originalError : error) instanceof KeysUnavailable) {
    return new GraphQLError(INTERNAL_MESSAGE, {
      extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 503, headers: { 'retry-after': '30' } } },
    });
  }
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    // Yoga's own refusals of a malformed request (no query, invalid JSON, a batch, a body too large) carry
    // BAD_REQUEST / REQUEST_ENTITY_TOO_LARGE, which the contract calls BAD_USER_INPUT. Changed in place, so
    // the HTTP status stays and Yoga does not log a client's mistake as a failure of ours.
    const extensions = error.extensions as Record<string, unknown> | undefined;
    if (extensions && (extensions.code === 'BAD_REQUEST' || extensions.code === 'REQUEST_ENTITY_TOO_LARGE')) {
      extensions.code = 'BAD_USER_INPUT';
      delete extensions.originalError; // the JSON parser's own words about the client's body
      // Yoga answers two of them (invalid JSON, no query) 200 to a client that accepts application/json
      // (`http.spec`: GraphQL over HTTP allows either) and the others 400. One rule instead: a request that
      // is not a GraphQL request at all is 400, whatever the client accepts.
      const http = extensions.http as { spec?: boolean } | undefined;
      if (http?.spec) delete http.spec;
      return error;
    }
    // Yoga's code for an operationName the document does not have (or a document with several operations
    // and none named): the contract calls a document that cannot run as asked GRAPHQL_VALIDATION_FAILED.
    // Like a document that does not validate, it is 400 under application/graphql-response+json and 200
    // under application/json (`spec`, GraphQL over HTTP).
    if (extensions?.code === 'OPERATION_RESOLUTION_FAILURE') {
      extensions.code = 'GRAPHQL_VALIDATION_FAILED';
      extensions.http = { status: 400, spec: true };
      return error;
    }
    // A contract error, as thrown by a rule or resolver (graphql-js wraps it and copies its extensions).
    // Returned as the same object, so Yoga does not log it as an unexpected failure.
    if (error.extensions?.code && (!original || original instanceof GraphQLError)) return error;
    // graphql's own errors of the client's making (errors.ts: clientMistakeCode): variables that do not fit,
    // an operation it cannot pick. Yoga logs every error that maskError answers with another object as an
    // unexpected failure, and these (frozen) cannot take their code in place: marked as the client's
    // mistakes, they are logged at debug. (Anything else without a code falls through to
    // INTERNAL_SERVER_ERROR below.) Either way nothing ran, and the answer has no `data`: GraphQL over HTTP
    // asks for 400 under application/graphql-response+json, and allows 200 under application/json (`spec`),
    // as for a document that does not validate.
    const code = clientMistakeCode(error);
    if (code) {
      clientMistakes.add(error);
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        positions: error.positions,
        path: error.path,
        extensions: { ...error.extensions, code, http: { status: 400, spec: true } },
      });
    }
  }
  // Yoga logs the original (server side) because the answer differs from it; the client gets a fixed text.
  // (defaultMaskError keeps the message of a GraphQLError with no original, e.g. graphql's own "Cannot return
  // null for non-nullable field": the fixed text is used whatever it says.)
  const masked = defaultMaskError(error, INTERNAL_MESSAGE, false) as GraphQLError;
  return new GraphQLError(INTERNAL_MESSAGE, {
    nodes: masked.nodes,
    path: masked.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/**
 * maskError, then without graphql's suggestions (production: they spell out the schema to someone without
 * introspection): those of variables' values ("Did you mean the enum value "PUBLIC"?"). Validation errors,
 * which are not masked, lose theirs in limits.ts.
 */
export function maskErrorWithoutSuggestions(error: unknown): Error {
  const masked = maskError(error);
  if (!(masked instanceof GraphQLError)) return masked;
  const message = withoutSuggestions(masked.message);
  if (message === masked.message) return masked;
  if (error instanceof Error) clientMistakes.add(error); // the client's input, logged at debug (errors.ts)
  return new GraphQLError(message, {
    nodes: masked.nodes,
    positions: masked.positions,
    path: masked.path,
    extensions: masked.extensions,
  });
}

/**
 * The response headers a page on another origin may read besides the safelisted ones (Content-Type and the
 * like): how long to wait after a 429 or 503, the request's id for a support ticket, how to authenticate
 * after a 401. Without Access-Control-Expose-Headers a browser hides them from the page.
 */
const EXPOSED_HEADERS = ['Retry-After', 'X-Request-Id', 'WWW-Authenticate'];

/** The CORS options of one request (false: no CORS headers), as Yoga's `cors` option takes them. */
export type CorsPolicy = (request: Request) => CORSOptions | false;

/**
 * CORS (CORS_ORIGINS, config.ts). By default any origin may call (its Origin reflected) without credentials:
 * Yoga's own default also allows credentials to every origin, which would let any web page read what a
 * visitor may see once a cookie carries the token (AUTH_COOKIE, or a proxy in front that turns one into it).
 * A listed origin gets credentials; any other origin gets no CORS headers at all (never `null`, which a
 * sandboxed page's origin would match).
 * Applied by two handlers: Yoga, and the direct POST path (src/graphql-post.ts).
 */
export function corsPolicy(origins: string[] | null): CorsPolicy {
  if (origins === null) {
    const anyOrigin: CORSOptions = { origin: '*', credentials: false, exposedHeaders: EXPOSED_HEADERS };
    return () => anyOrigin;
  }
  const allowed = new Set(origins);
  // `*` with an origin known to be allowed: reflected, with `Vary: Origin` (a single origin string gets none).
  const listed: CORSOptions = { origin: '*', credentials: true, exposedHeaders: EXPOSED_HEADERS };
  return (request) => (allowed.has(request.headers.get('origin') ?? '') ? listed : false);
}

/** Whether a document holds a single operation (and fragments). */
function oneOperation(document: DocumentNode): boolean {
  let operations = 0;
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION && ++operations > 1) return false;
  return true;
}

/**
 * Whether the operation to run is a mutation that may run more than one root field (several fields, or a
 * fragment that may hold several).
 */
function severalMutations(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return false;
  const selections = operation.selectionSet.selections;
  return selections.length > 1 || selections.some((selection) => selection.kind !== Kind.FIELD);
}

export function buildApp(config: Config, options: AppOptions = {}) {
  // Logs, metrics and traces (src/observability/): created first, so the database's statements are counted.
  const observability = createObservability(config, options);
  const db = options.db ?? createDb(config.databaseUrl, { poolSize: config.databasePoolSize, onQuery: observability.onQuery });
  // SQLite's planner statistics follow the tables as they grow (adapter.ts).
  const stopStatistics = databaseKind(config.databaseUrl) === 'sqlite' ? keepSqliteStatistics(db) : () => undefined;
  const memberNames = new MemberNameRecorder(db, (details, message) => observability.logger.warn(details, message));
  const services: AppServices = {
    db,
    config,
    // Live events: in-process, or between instances through Redis (REDIS_URL).
    events: createEventBus({
      redisUrl: config.redisUrl,
      backlog: config.live.backlog,
      log: (message) => observability.logger.warn(message),
    }),
    audience: new Audience(db, config.jwtSecret, (memberId) => memberNames.unwritten(memberId)),
    tokens: tokenVerifier(secretKey(config.jwtSecret), config.tokens),
    memberNames,
  };
  // The rate limit's count: in this process, or shared by every instance through REDIS_URL.
  const rate = config.limits.rateLimitPoints > 0 ? createRateCounter(config.limits, config.redisUrl) : null;
  const mask = config.limits.blockFieldSuggestions ? maskErrorWithoutSuggestions : maskError;
  const cors = corsPolicy(config.limits.corsOrigins);
  // Automatic persisted queries: documents kept by their hash, read by Yoga's path and the direct POST path.
  const persistedQueries = config.limits.persistedQueriesMaxBytes > 0 ? persistedQueryStore(config.limits.persistedQueriesMaxBytes) : null;
  const yoga = createYoga({
    schema: applyMiddleware(schema, permissionMiddleware(schema)),
    context: (initial) => createContext(services, initial),
    maskedErrors: { maskError: mask },
    cors,
    graphiql: config.nodeEnv !== 'production' && graphiqlOptions,
    renderGraphiQL: renderLocalGraphiQL,
    // Yoga's page for a browser's 404 ("Welcome to GraphQL Yoga", its version, an image from GitHub) is for
    // development; in production a missing page is a plain 404.
    landingPage: config.nodeEnv !== 'production',
    logging: observability.yogaLogger,
    // Parsed documents and parse errors, bounded by the size of their text (src/document-cache.ts).
    parserAndValidationCache: documentCaches(),
    ...limitOptions(config.limits),
    plugins: [
      // Every operation runs through graphql-jit: each document compiled once to plain JavaScript (cached
      // with the parsed document) instead of walking the AST per request, and for a subscription per event
      // delivered (a third of the allocations of a live fan-out). patches/ fixes graphql-jit 0.8.7's subscribe,
      // which handed the subscription field its operation's variables instead of its arguments.
      // Not for a document of several mutations: graphql-jit runs every root mutation even once one has
      // failed and emptied `data`, so later writes would be saved with nothing in the answer to say so.
      // graphql-js stops at the failure, as the spec's serial execution does.
      // Nor for a document of several operations: the plugin keeps one compiled operation per document, the
      // one named by the first request, so a later request naming another ran the first one (a query sent
      // over GET ran the mutation beside it). graphql-js runs the operation each request names.
      useGraphQlJit({}, { enableIf: ({ document, operationName }) => oneOperation(document) && !severalMutations(document, operationName) }),
      // 406 and 415 with an error in the body, and event streams no-store: before the request logs and
      // metrics, whose response hooks run after its own and so record the error it adds.
      useRefusalBodies(observability.http),
      // A request sent as a hash gets its document before anything reads its parameters (src/persisted-queries.ts).
      ...(persistedQueries ? [usePersistedQueries(persistedQueries)] : []),
      ...observability.plugins,
      ...limitPlugins(config.limits, { maxPageSize: config.maxPageSize, defaultPageSize: config.defaultPageSize }, rate),
      // `/health` (the process is up) is Yoga's own; `/ready` also needs the database and its migrations, and
      // Redis when live events travel through it.
      useReadiness(() => checkReadiness(db, config.databaseUrl, services.events)),
      // An answer's media type by the Accept header's q-values (Yoga takes the first listed), and 406 before
      // anything runs when none fits. After Yoga's own result processors, which it registers first.
      useMediaTypeNegotiation('/graphql'),
      // SSE message ids for EventSource clients (and their Last-Event-ID: schema/events.ts).
      useSseEventIds(),
      // Last: it sees whether any result processor took a subscription's stream.
      useEndRefusedStreams(),
    ],
  });
  return {
    yoga,
    services,
    /** Metrics (null when METRICS_ENABLED=false) and the logger, for code that reports to them. */
    metrics: observability.metrics,
    /** The request logs and metrics, for requests answered outside Yoga's request hooks (src/graphql-post.ts). */
    httpObservers: observability.http,
    /** The logs and metrics of requests refused before Yoga and of WebSocket connections. */
    connections: observability.connections,
    /** The CORS policy Yoga was given, for the direct POST path. */
    cors,
    /** The documents of automatic persisted queries (null when PERSISTED_QUERIES_MAX_BYTES=0), for the direct POST path. */
    persistedQueries,
    /** The error mask Yoga was given, for the direct POST path. */
    maskError: mask,
    logger: observability.logger,
    close: async () => {
      stopStatistics();
      await services.memberNames.flush();
      await services.events.close();
      await rate?.close();
      await db.$disconnect();
      await observability.close();
    },
  };
}

export type App = ReturnType<typeof buildApp>;
