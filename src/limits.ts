/**
 * Request limits: what one request may ask for, and how often. Each limit refuses with a clear answer
 * before any resolver runs, never a crash:
 * - document shape (GraphQL Armor): depth, aliases, directives, tokens -> GRAPHQL_VALIDATION_FAILED; estimated
 *   cost, the pages at the sizes they will have (cost-limit.ts) -> GRAPHQL_VALIDATION_FAILED
 * - introspection off in production -> GRAPHQL_VALIDATION_FAILED; field suggestions removed in production
 * - batching off unless BATCH_LIMIT is set (Yoga), body size (Yoga: HTTP 413)
 * - CSRF: a POST a browser may send cross-site without a preflight needs a header -> HTTP 403, FORBIDDEN
 * - text no database can store (lone surrogates, NUL), parameters that are not JSON -> BAD_USER_INPUT
 * - rate: operations per viewer per window -> HTTP 429, RATE_LIMITED (an addition to the contract's codes)
 * The values come from config.ts (LimitsConfig); the README's Configuration table lists them.
 */
import type { IncomingMessage } from 'node:http';
import { BREAK, GraphQLError, Kind, NoSchemaIntrospectionCustomRule, parse, visit, type ArgumentNode, type DocumentNode, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimitsConfig } from './config.ts';
import type { Viewer } from './auth/viewer.ts';
import { pageSizeMessage, withoutSuggestions } from './errors.ts';
import { isStorableText } from './domain/validate.ts';
import { usePageCostLimit, type PageSizes } from './cost-limit.ts';
import { useNullVariableCheck } from './null-variables.ts';

/** The Yoga server options the limits set; app.ts spreads them into createYoga. */
export function limitOptions(limits: LimitsConfig) {
  return {
    batching: limits.batchLimit > 0 ? { limit: limits.batchLimit } : false,
    // MAX_BODY_BYTES is enforced by useBodyLimit (below), which does what this option would, cheaper.
    maxRequestBodySize: false as const,
    // No field takes a file: multipart bodies (file uploads) are not read at all.
    multipart: false,
  };
}

/** What counts the rate limit's points: this process, or Redis for every instance (createRateCounter). */
export interface RateCounter {
  limiter: RateLimiterAbstract;
  close(): Promise<void>;
}

/**
 * How long a request waits for Redis to count its point before it is counted in this process instead. A
 * point is one command, answered in well under a millisecond by a Redis that is up.
 */
export const RATE_COMMAND_TIMEOUT_MS = 200;

/**
 * The rate limit's counter. Without a Redis URL, each process counts its own requests. With one (REDIS_URL,
 * the one live events travel through), every instance counts in the same Redis keys, so a viewer has
 * RATE_LIMIT_POINTS across all of them. While Redis cannot be reached, requests are counted in this process
 * instead (rate-limiter-flexible's insurance limiter), at once rather than after a reconnection: no request
 * waits on Redis, and none goes uncounted.
 */
export function createRateCounter(limits: LimitsConfig, redisUrl?: string | null): RateCounter {
  const options = { points: limits.rateLimitPoints, duration: limits.rateLimitDuration };
  const memory = new RateLimiterMemory(options);
  if (!redisUrl) return { limiter: memory, close: async () => undefined };
  // No offline queue: a command sent while Redis is away fails at once, and the insurance limiter counts.
  // A command timeout for a Redis that is connected but does not answer (frozen, a failover's pause, a
  // network that drops packets): without one, every request of every instance waited on its point for as
  // long as Redis did (an audit saw 200 s). Outages are reported by the live event bus, which uses the same
  // Redis (src/pubsub.ts).
  const client = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: RATE_COMMAND_TIMEOUT_MS }).on('error', () => undefined);
  const shared = new RateLimiterRedis({
    ...options,
    storeClient: client,
    keyPrefix: 'groups-gateway:rate',
    insuranceLimiter: memory,
    rejectIfRedisNotReady: true,
  });
  return { limiter: skippingSilentRedis(shared, memory), close: async () => void client.disconnect() };
}

/** Points in a row that waited out RATE_COMMAND_TIMEOUT_MS before Redis is left aside (skippingSilentRedis). */
const SILENT_POINTS = 3;
/** How long Redis is left aside then, before a point is sent to it again. */
const SILENT_PAUSE_MS = 5_000;

/**
 * The shared counter, left aside for SILENT_PAUSE_MS once SILENT_POINTS points in a row waited out the command
 * timeout: a connection that stays open and silent (a failover whose old address went dark) is given up on by
 * TCP only after minutes, and each request would wait RATE_COMMAND_TIMEOUT_MS meanwhile. Points are counted
 * in the process (`memory`, the insurance limiter) while it is aside. (rate-limiter-flexible's insurance
 * answers each failure, but has no such pause.) Only `consume` is used (useRateLimit).
 */
function skippingSilentRedis(shared: RateLimiterRedis, memory: RateLimiterMemory): RateLimiterAbstract {
  let silentInARow = 0;
  let asideUntil = 0;
  const consume = async (key: string | number, points?: number) => {
    if (Date.now() < asideUntil) return memory.consume(key, points);
    const started = Date.now();
    try {
      return await shared.consume(key, points);
    } finally {
      // The insurance answered after the timeout (a refusal comes as a rejection, so counted here too).
      if (Date.now() - started >= RATE_COMMAND_TIMEOUT_MS) {
        if (++silentInARow >= SILENT_POINTS) {
          asideUntil = Date.now() + SILENT_PAUSE_MS;
          silentInARow = 0;
        }
      } else silentInARow = 0;
    }
  };
  return Object.assign(Object.create(shared) as RateLimiterAbstract, { consume });
}

/**
 * The Envelop/Yoga plugins of the limits, in the order they apply; app.ts adds them to its plugins. `rate`
 * counts the rate limit (createRateCounter, made when RATE_LIMIT_POINTS > 0); without one, no rate limit.
 */
export function limitPlugins(limits: LimitsConfig, sizes: PageSizes, rate: RateCounter | null = null): Plugin[] {
  return [
    useBodyLimit(limits.maxBodyBytes),
    useCsrfPrevention(limits.csrfHeaders),
    useParameterJson(),
    ...(limits.introspection ? [] : [useNoIntrospection()]),
    ...(limits.blockFieldSuggestions ? [useNoSuggestions()] : []),
    useDocumentLimits(limits, sizes),
    useStorableText(),
    useVariableValueLimit(),
    useNullVariableCheck(),
    ...(limits.batchLimit > 0 ? [useNoSubscriptionsInBatches()] : []),
    ...(rate ? [useRateLimit(limits, rate.limiter)] : []),
  ];
}

function bodyTooLarge(): GraphQLError {
  return new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
}

/** Only one non-negative integer is a Content-Length (comma-joined values are a request-smuggling sign). */
const CONTENT_LENGTH = /^\d+$/;

/**
 * MAX_BODY_BYTES: a body above it is HTTP 413 (the contract's BAD_USER_INPUT, see maskError in app.ts).
 *
 * Written here rather than left to Yoga's `maxRequestBodySize` because that option pipes every body through
 * a TransformStream to count its bytes, even when the Content-Length header already tells: a stream
 * pipeline, an AbortController and a DOMException per request, about a tenth of the CPU of a small query.
 * A body with a Content-Length within the limit cannot be longer (Node's HTTP parser reads exactly that many
 * bytes and no more), so only a body without one (chunked transfer) is counted as it streams in.
 */
function useBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!CONTENT_LENGTH.test(length)) {
          throw new GraphQLError('Content-Length header is invalid.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
        if (Number(length) > limit) throw bodyTooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((incoming) => {
        let read = 0;
        // A native stream needs the native TransformStream, the fetch ponyfill's stream the ponyfill's.
        const Transform = incoming.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const counted = incoming.body!.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.byteLength;
              if (read > limit) controller.error(bodyTooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(incoming.url, {
            method: incoming.method,
            headers: incoming.headers,
            signal: incoming.signal,
            body: counted,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}

/**
 * An Armor rejection as a validation error: its sentence without graphql's "Syntax Error: " prefix. 400
 * under application/graphql-response+json and 200 under application/json (`spec`), as every document that
 * does not validate: Yoga marks validation errors so itself, but the cost is estimated when the operation
 * is about to run (cost-limit.ts, with its variables), where nothing marked it and it was 400 to all.
 */
function documentRejected(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400, spec: true } },
  });
}

/** The largest value an Int holds (GraphQL's Int is 32-bit). */
const MAX_INT = 2 ** 31 - 1;

/**
 * The first literal `first: N` or `last: N` of the document with N out of range (negative, or above
 * `maxPageSize`), if any. One that is no Int at all (over 2^31 - 1) is left to graphql's own validation,
 * which refuses it: one error for one mistake.
 */
function oversizedPage(document: DocumentNode, maxPageSize: number): ArgumentNode | null {
  let found: ArgumentNode | null = null;
  visit(document, {
    Argument(node) {
      const name = node.name.value;
      if (name !== 'first' && name !== 'last') return undefined;
      const value = node.value.kind === Kind.INT ? Number(node.value.value) : NaN;
      if (Math.abs(value) <= MAX_INT && (value > maxPageSize || value < 0)) {
        found = node;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * A literal `first` (or `last`) above MAX_PAGE_SIZE is the client's input out of range, BAD_USER_INPUT, as
 * the same value passed as a variable is (schema/pagination.ts), and refused here with the document: the
 * cost limit, which runs later (cost-limit.ts), would otherwise answer `first: 10000` as a cost.
 */
function pageSizeRule(maxPageSize: number): ValidationRule {
  return (context) => {
    const page = oversizedPage(context.getDocument(), maxPageSize);
    if (page) {
      context.reportError(
        new GraphQLError(pageSizeMessage(maxPageSize, page.name.value as 'first' | 'last'), {
          nodes: [page],
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        }),
      );
    }
    return {};
  };
}

/**
 * GraphQL Armor's document limits. Validation-time limits report their error to the validation context
 * (so it joins graphql's own validation errors); the token limit works inside the parser, so it throws.
 */
function useDocumentLimits(limits: LimitsConfig, sizes: PageSizes): Plugin {
  const report = {
    propagateOnRejection: false,
    onReject: [
      (context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) => {
        if (context) context.reportError(documentRejected(error));
        else throw documentRejected(error);
      },
    ],
  };
  // The validation rules made once, in Armor's order. Armor's Envelop plugins make each rule anew for every
  // request, and a rule list whose functions change from request to request defeats Yoga's validation
  // cache, which finds a list's cache by its rules (patches/graphql-yoga+5.24.1.patch).
  // Depth and cost read a fragment as if written in place: the same selection costs the same whether a
  // client (codegen, most often) writes it with fragments or inline.
  const rules = [
    maxDirectivesRule({ n: limits.maxDirectives, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    pageSizeRule(sizes.maxPageSize),
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...report }),
  ];
  const cost = usePageCostLimit(costLimitRule({ maxCost: limits.maxCost, flattenFragments: true, ...report }), sizes);
  const armor = EnvelopArmorPlugin({
    maxTokens: { n: limits.maxTokens, ...report },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
    maxDirectives: { enabled: false },
    maxAliases: { enabled: false },
    costLimit: { enabled: false },
    maxDepth: { enabled: false },
  }) as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor);
      addPlugin(cost);
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
      return explainAbortedValidation;
    },
  };
}

/**
 * graphql-js (16.11 on) stops comparing a selection's fields once the comparisons pass a budget (hundreds of
 * fields of one selection, each to be checked against the others), with the bare message "Validation
 * aborted.": said instead in words a client can act on.
 */
const VALIDATION_ABORTED = 'Validation aborted.';
type AfterValidate = Exclude<ReturnType<NonNullable<Plugin['onValidate']>>, void>;
const explainAbortedValidation: AfterValidate = ({ result, setResult }) => {
  if (result.length === 0 || !result.some((error) => error.message === VALIDATION_ABORTED)) return;
  setResult(
    result.map((error) =>
      error.message === VALIDATION_ABORTED
        ? new GraphQLError('The document has too many fields in one selection to check that they agree: ask for each field once.', {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          })
        : error,
    ),
  );
};

/**
 * Production: no "Did you mean …?" in validation errors. Armor's blockFieldSuggestion removes those naming
 * fields, types and arguments (`Did you mean "x"?`), not those of enum values (`Did you mean the enum value
 * "PUBLIC"?`), which spell out the schema all the same.
 */
function useNoSuggestions(): Plugin {
  return {
    onValidate: () => ({ valid, result }) => {
      if (valid) return;
      for (const error of result) (error as { message: string }).message = withoutSuggestions(error.message);
    },
  };
}

/** Refuses `__schema` and `__type` (not `__typename`) with graphql's own validation rule. */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/** Content types a browser sends cross-site without asking first (a CORS "simple request"). */
const SIMPLE_CONTENT_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * CSRF prevention, as Yoga's CSRF plugin does it: a request a browser could send cross-site without a
 * preflight must carry one of `headers`, which a cross-site page cannot add without one. Only POST is
 * checked: JSON POSTs are preflighted anyway, and GET (queries and SSE subscriptions) cannot change
 * anything, since Yoga refuses mutations over GET. Tokens travel in the Authorization header, never in
 * cookies, so this is defence in depth.
 */
function useCsrfPrevention(headers: string[]): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (!SIMPLE_CONTENT_TYPES.has(type)) return;
      if (headers.some((header) => request.headers.has(header))) return;
      throw new GraphQLError(`Send the request as application/json, or with the header ${headers[0]}.`, {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    },
  };
}

/**
 * Whether a variable value holds text no database stores (lone surrogates, NUL: domain/validate.ts); input
 * types nest a few levels, deeper is refused anyway.
 */
function holdsUnstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return !isStorableText(value);
  if (value === null || typeof value !== 'object' || depth > 16) return false;
  return Object.entries(value).some(([key, item]) => !isStorableText(key) || holdsUnstorable(item, depth + 1));
}

/**
 * Text no database stores, in a variable or a literal: refused before anything runs, as a variable of the
 * wrong type is (400 under application/graphql-response+json, 200 under application/json: app.ts, maskError).
 */
const unstorable = () =>
  new GraphQLError('Text must be valid Unicode, without NUL characters.', {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } },
  });

/**
 * Whether a document's strings, once their escapes are read, hold text no database stores: `"a\u0000b"` is
 * a NUL though its source has none. Only a source with a `\u` escape is parsed again for it; one that does
 * not parse is left to the parser's own error.
 */
function escapesUnstorable(source: string): boolean {
  if (!source.includes('\\u')) return false;
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch {
    return false;
  }
  let found = false;
  visit(document, {
    StringValue(node) {
      if (isStorableText(node.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/**
 * Text the database cannot store is refused as the client's input (BAD_USER_INPUT) before it reaches a
 * query, in the document (as written, or through an escape) and in the variables, over HTTP, SSE and
 * WebSocket alike.
 */
function useStorableText(): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (!isStorableText(source) || escapesUnstorable(source)) throw unstorable();
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (holdsUnstorable(args.variableValues)) setResultAndStopExecution({ errors: [unstorable()] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (holdsUnstorable(args.variableValues)) setResultAndStopExecution({ errors: [unstorable()] });
    },
  };
}

/**
 * The most values a request's variables may hold in all, each list and object counted as well as each item
 * and field in it (a list of 100 ids is 101). No list the API
 * takes holds more than 100 (ids, rules, questions, answers), so a client never needs nearly as many.
 */
export const MAX_VARIABLE_VALUES = 1_000;

/** Whether `variables` hold more than MAX_VARIABLE_VALUES values (stopping as soon as they do). */
function tooManyValues(variables: unknown): boolean {
  let left = MAX_VARIABLE_VALUES;
  const over = (value: unknown, depth: number): boolean => {
    if (--left < 0) return true;
    if (value === null || typeof value !== 'object' || depth > 16) return false;
    for (const key in value) if (over((value as Record<string, unknown>)[key], depth + 1)) return true;
    return false;
  };
  if (variables === null || typeof variables !== 'object') return false;
  for (const key in variables) if (over((variables as Record<string, unknown>)[key], 0)) return true;
  return false;
}

const tooManyValuesError = () =>
  new GraphQLError(`The variables hold more than ${MAX_VARIABLE_VALUES} values in all (each list and object counts, as does each item in it); no list this API takes is that long.`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } },
  });

/**
 * Variables of more than MAX_VARIABLE_VALUES values are refused before they are read. graphql-jit checks
 * every value of a variable and gathers an error for each that does not fit, with no limit (graphql-js
 * stops at 50): a list of 100,000 nulls where ids are asked for kept the process busy for seconds and
 * answered 23 MB of errors, to an anonymous client.
 */
function useVariableValueLimit(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (tooManyValues(args.variableValues)) setResultAndStopExecution({ errors: [tooManyValuesError()] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (tooManyValues(args.variableValues)) setResultAndStopExecution({ errors: [tooManyValuesError()] });
    },
  };
}

/**
 * A batch's answer is one JSON array, written once every item has its result: a subscription has no place in
 * it. Yoga subscribed it all the same (taking one of the viewer's live subscription slots), answered `{}` for
 * it, and never ended the stream, so the slot was never given back: ten batches used up an address's
 * anonymous slots until a restart. A subscription in a batch is refused before it subscribes.
 */
function useNoSubscriptionsInBatches(): Plugin {
  const batched = new WeakSet<Request>();
  return {
    onRequestParse({ request }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult)) batched.add(request);
        },
      };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !batched.has(request)) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('A subscription cannot be sent in a batch: send it on its own, over SSE or WebSocket.', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } },
          }),
        ],
      });
    },
  };
}

/**
 * Yoga reads the `variables` and `extensions` parameters of GET and form requests with JSON.parse and lets
 * its SyntaxError through as an unexpected failure; it is the client's mistake, and answered as one.
 * An empty `operationName` is no name (GraphQL over HTTP), as Yoga already reads an empty GET parameter:
 * in a JSON body it asked for an operation named "" and was refused. One that is not a string is refused
 * with 400, as Yoga refuses the other parameters of a wrong type.
 */
function useParameterJson(): Plugin {
  return {
    onParams({ params, setParams }) {
      // Yoga refuses a batch's item that is not an object, but takes `null` for one (typeof null).
      if (params === null) {
        throw new GraphQLError('Expected params to be an object but given null.', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
      }
      // A hash instead of the document that usePersistedQueries did not answer (PERSISTED_QUERIES_MAX_BYTES=0,
      // or an extension of another version): answered in the words Apollo Client and urql know, so that they
      // send the document itself from then on, rather than with Yoga's "Must provide query string.", which
      // urql takes for a failure of the request.
      if (params.query == null && params.extensions?.persistedQuery != null) {
        throw new GraphQLError('PersistedQueryNotSupported', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } } });
      }
      // Yoga checks the type of every other parameter (400), but passes on an operationName that is no
      // string, which then fails as an operation the document does not have (200 to JSON clients).
      const { operationName } = params as { operationName?: unknown };
      if (operationName != null && typeof operationName !== 'string') {
        const given = Array.isArray(operationName) ? 'array' : typeof operationName;
        throw new GraphQLError(`Expected "operationName" param to be a string, but given ${given}.`, {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        });
      }
      if (operationName === '') setParams({ ...params, operationName: undefined });
    },
    onRequestParse({ request, requestParser, setRequestParser }) {
      // A JSON POST (nearly every request) has no such parameters, and Yoga answers a body that is not JSON
      // as the client's mistake itself: its parser is left unwrapped, without an extra async step.
      if (!requestParser || (request.method === 'POST' && request.headers.get('content-type')?.includes('json'))) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw new GraphQLError('The variables and extensions parameters must be JSON.', {
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
      });
    },
  };
}

/** The parts of the execution context the rate limit reads (Yoga's server context plus ours). */
interface RateContext {
  viewer?: Viewer;
  request?: Request;
  req?: IncomingMessage;
}

/**
 * The client's address: the connection's peer, or under TRUST_PROXY the last X-Forwarded-For entry (which
 * our own proxy added). Read from the Fetch request over HTTP, and from the upgrade request of a WebSocket,
 * whose operations have no Fetch request.
 */
export function clientAddress(context: Pick<RateContext, 'request' | 'req'>, trustProxy: boolean): string {
  if (trustProxy) {
    const header = context.request?.headers.get('x-forwarded-for') ?? context.req?.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : header)?.split(',').pop()?.trim();
    if (forwarded) return forwarded;
  }
  return context.req?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Who a request counts against: the signed-in member, or the client's address when anonymous (the
 * connection's peer, or the last X-Forwarded-For entry, which our own proxy added, under TRUST_PROXY).
 */
export function rateKey(context: RateContext, trustProxy: boolean): string {
  const memberId = context.viewer?.memberId;
  if (memberId) return `member:${memberId}`;
  return `ip:${clientAddress(context, trustProxy)}`;
}

function rateLimited(retryAfterMs: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GraphQLError(`Too many requests. Try again in ${seconds} seconds.`, {
    extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: { 'retry-after': String(seconds) } } },
  });
}

/**
 * Per-viewer rate limiting: every operation (query, mutation, subscription, each operation of a batch)
 * costs one point; a viewer has RATE_LIMIT_POINTS per RATE_LIMIT_DURATION seconds, counted by `limiter`
 * (createRateCounter: this process, or every instance through Redis).
 */
function useRateLimit(limits: LimitsConfig, limiter: RateLimiterAbstract): Plugin {
  async function refusal(context: RateContext): Promise<GraphQLError | null> {
    try {
      await limiter.consume(rateKey(context, limits.trustProxy));
      return null;
    } catch (result) {
      if (result instanceof RateLimiterRes) return rateLimited(result.msBeforeNext);
      throw result;
    }
  }
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await refusal(args.contextValue as RateContext);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await refusal(args.contextValue as RateContext);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
