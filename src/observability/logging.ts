/**
 * Structured JSON logs (pino) on stdout: one line per HTTP request and one per graphql-ws operation, plus
 * Yoga's own messages (unexpected errors, with the request id of the operation whose result held them).
 *
 * A request line holds: requestId (the client's `x-request-id` when it is a sane token, else a new UUID,
 * echoed in the `x-request-id` response header), method, path (never the query string), status,
 * durationMs, viewer (the member id, `anonymous` without a token, `unverified` when a token was sent but
 * not accepted or not looked at), operationName, operationType, errorCodes, and traceId when tracing is
 * on. Never a token, a header, a variable, a display name or a query: nothing a client sends is logged
 * but the operation's name.
 */
import { randomUUID } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { DocumentNode } from 'graphql';
import { isAsyncIterable, type Plugin, type YogaLogger } from 'graphql-yoga';
import type { LogLevel } from '../config.ts';
import { clientMistakes } from '../errors.ts';
import { cleanOperationName, describeOperation, pathOf, resultErrorCodes, type HttpObserver } from './operation.ts';
import { requestSlot } from './request-state.ts';

export type { Logger } from 'pino';

/** What is known of one request (or graphql-ws operation) by the time its line is written. */
interface RequestLog {
  requestId: string;
  startedAt: number;
  viewer: string | null;
  operationName: string | null;
  operationType: string | null;
  errorCodes: string[];
  /** A graphql-ws operation's line has been written (a stream can end in more than one way). */
  written?: boolean;
}

/**
 * The request id of each error an operation returned, noted before Yoga masks the error (the logging plugin
 * runs before Yoga's masking), so Yoga's line about an unexpected error carries the id of its request.
 * An explicit map rather than AsyncLocalStorage: on Node 20 an AsyncLocalStorage in use turns on promise
 * hooks for every promise of the process, ~5 % of a list query's CPU and ~6 % of a live fan-out's.
 */
const requestOfError = new WeakMap<object, string>();

const noteErrors = (result: unknown, requestId: string) => {
  const errors = (result as { errors?: readonly unknown[] } | null)?.errors;
  if (errors) for (const error of errors) if (error && typeof error === 'object') requestOfError.set(error, requestId);
};

/** Paths polled by machines: logged at `debug`, so probes and scrapes do not drown the requests. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/** An incoming `x-request-id` is kept when it is a short token of safe characters, else replaced. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * An error as logged: its type, code, the first line of its message and its stack frames, and the same of
 * what it wraps. Not the rest of the message: database errors spell out the arguments of the failed call
 * there, which can hold what members typed.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const firstLine = error.message.split('\n').find((line) => line.trim() !== '') ?? '';
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 15);
  const code = (error as { code?: unknown }).code;
  const wrapped = (error as { originalError?: unknown }).originalError ?? error.cause;
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: firstLine.trim().slice(0, 300),
    stack: frames.join('\n'),
    ...(wrapped && depth < 2 ? { cause: serializeError(wrapped, depth + 1) } : {}),
  };
}

/**
 * Bytes of log lines gathered before they are written to stdout (unless LOG_FLUSH_MS passes first): about
 * 200 request lines a write. sonic-boom (pino's destination) is patched (patches/sonic-boom+4.2.1.patch)
 * so that a large block costs no more per line than a small one; unpatched, it measured the growing block
 * on every line.
 */
const LOG_BLOCK = 65_536;
/** The longest a log line waits in the buffer, in milliseconds. */
const LOG_FLUSH_MS = 200;

/** The gateway's loggers: both write JSON lines at one level to one destination. */
export interface Loggers {
  /** For anything: keys that could hold a secret are censored. */
  logger: Logger;
  /**
   * For the request and operation lines only (requestLogging), which are built from a fixed set of
   * fields (the RequestLog above) and so have nothing to censor. Without the censoring pass: on a small
   * request that pass cost more than writing the line (bench/README.md, round 4).
   */
  requestLines: Logger;
}

/**
 * The gateway's loggers: JSON lines at `level`, to stdout unless a destination is given. With `traceIds`
 * (tracing on), every line logged inside a span carries its trace id.
 */
export function createLoggers(level: LogLevel, destination?: DestinationStream, traceIds = false): Loggers {
  const requestLines = pino(
    {
      level,
      base: { service: 'groups-gateway' },
      timestamp: isoTimeByMillisecond(),
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: (error: unknown) => serializeError(error) },
      // Only when tracing is on: a mixin costs every line a call and an object merge.
      ...(traceIds ? { mixin: traceIdOfActiveSpan } : {}),
    },
    destination ?? logDestination(1),
  );
  // Defence in depth: none of these is ever passed, and would be censored if one were. A child shares its
  // parent's level, formatters, mixin and destination.
  const logger = requestLines.child(
    {},
    { redact: { paths: ['authorization', 'token', 'headers', '*.authorization', '*.token', '*.headers'], censor: '[redacted]' } },
  );
  return { logger, requestLines };
}

/**
 * pino's ISO `time` field, made once per millisecond rather than once per line: pino's own isoTime builds a
 * Date and its string for every line (~0.5 µs, an eighth of a request line's cost), and a busy gateway
 * writes dozens of lines in the same millisecond. Written by hand: pino takes any function returning the
 * field, and has none that reuses it.
 */
export function isoTimeByMillisecond(now: () => number = Date.now): () => string {
  let millisecond = Number.NaN;
  let field = '';
  return () => {
    const time = now();
    if (time !== millisecond) {
      millisecond = time;
      field = `,"time":"${new Date(time).toISOString()}"`;
    }
    return field;
  };
}

/**
 * The file descriptor `fd` (stdout for the gateway) written asynchronously and in blocks: lines are gathered
 * until LOG_BLOCK bytes or LOG_FLUSH_MS have passed, so a busy gateway makes one write per couple of hundred
 * lines instead of one per line (each write is a trip through libuv's thread pool: a quarter of a small
 * request's CPU, bench/README.md round 4). pino writes out what is left when the process exits; only a
 * killed process loses lines.
 */
export function logDestination(fd: number) {
  return pino.destination({ dest: fd, sync: false, minLength: LOG_BLOCK, maxWrite: 4 * LOG_BLOCK, periodicFlush: LOG_FLUSH_MS });
}

function traceIdOfActiveSpan(): { traceId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { traceId: span.traceId } : {};
}

/** Yoga's logger interface on top of pino (Yoga logs strings, and errors it did not expect: never their values). */
export function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first] = args;
      // Its message may quote a variable's value, which is never logged.
      if (first instanceof Error && clientMistakes.has(first)) logger.debug({ requestId: requestOfError.get(first) }, 'invalid variables or document');
      else if (first instanceof Error) {
        const requestId = requestOfError.get(first);
        logger[level](requestId ? { requestId, err: first } : { err: first }, 'unexpected error');
      }
      else if (typeof first === 'string') logger[level](first);
      else logger[level]({ thrown: typeof first }, 'unexpected value');
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}

const viewerOf = (context: unknown): string | null => {
  const viewer = (context as { viewer?: { memberId?: string | null } } | null)?.viewer;
  return viewer ? (viewer.memberId ?? 'anonymous') : null;
};

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The Yoga plugin writing the lines, and the same recording for HTTP requests answered outside Yoga's
 * request hooks (`http`, see src/graphql-post.ts). An HTTP request's state is keyed by its Fetch Request; a
 * graphql-ws operation's by its context object, which src/http.ts builds per operation and Envelop passes
 * to every phase.
 */
export function requestLogging(logger: Logger): { plugin: Plugin; http: HttpObserver } {
  // One slot for both: an HTTP request's log sits on its Request, a graphql-ws operation's on its context.
  const logs = requestSlot<RequestLog>('request log');

  const newLog = (requestId: string): RequestLog => ({
    requestId,
    startedAt: performance.now(),
    viewer: null,
    operationName: null,
    operationType: null,
    errorCodes: [],
  });

  const start = (request: Request): RequestLog => {
    return logs.get(request) ?? logs.set(request, newLog(requestIdFrom(request.headers.get('x-request-id'))));
  };

  /** The state of whatever a GraphQL phase belongs to: an HTTP request, or a graphql-ws operation. */
  const logOf = (context: unknown): { log: RequestLog; websocket: boolean } => {
    const request = (context as { request?: Request }).request;
    if (request) return { log: start(request), websocket: false };
    const log = logs.get(context as object) ?? logs.set(context as object, newLog(randomUUID()));
    return { log, websocket: true };
  };

  /** The line of a graphql-ws operation, written once, when it ends or fails. */
  const writeOperation = (log: RequestLog, result: unknown) => {
    if (log.written) return;
    log.written = true;
    if (result) log.errorCodes = resultErrorCodes(result);
    logger[log.errorCodes.includes('INTERNAL_SERVER_ERROR') ? 'warn' : 'info'](
      {
        requestId: log.requestId,
        transport: 'ws',
        durationMs: round(performance.now() - log.startedAt),
        viewer: log.viewer ?? 'unverified',
        operationName: log.operationName,
        operationType: log.operationType,
        errorCodes: log.errorCodes,
      },
      'operation',
    );
  };
  const failed = (code: string, count = 1) => ({ errors: Array.from({ length: count }, () => ({ extensions: { code } })) });

  /** Notes the viewer and operation of an execution or subscription. */
  const onOperation = (args: { document: DocumentNode; operationName?: string | null; contextValue: unknown }) => {
    const state = logOf(args.contextValue);
    const operation = describeOperation(args.document, args.operationName);
    state.log.operationName = operation.name;
    state.log.operationType = operation.type;
    state.log.viewer = viewerOf(args.contextValue);
    return state;
  };

  const http: HttpObserver = {
    requestStarted(request) {
      start(request);
    },
    paramsRead(request, params) {
      // A batch's item may be null (refused as not an object: limits.ts, useParameterJson).
      start(request).operationName = cleanOperationName(params?.operationName);
    },
    resultReady(request, result) {
      if (!isAsyncIterable(result)) start(request).errorCodes = resultErrorCodes(result);
    },
    responded(request, status, setHeader) {
      const log = start(request);
      setHeader('x-request-id', log.requestId);
      const path = pathOf(request.url);
      const broken = status >= 500 || log.errorCodes.includes('INTERNAL_SERVER_ERROR');
      const level = broken ? 'warn' : QUIET_PATHS.has(path) ? 'debug' : 'info';
      logger[level](
        {
          requestId: log.requestId,
          transport: 'http',
          method: request.method,
          path,
          status,
          durationMs: round(performance.now() - log.startedAt),
          viewer: log.viewer ?? (request.headers.get('authorization') ? 'unverified' : 'anonymous'),
          operationName: log.operationName,
          operationType: log.operationType,
          errorCodes: log.errorCodes,
        },
        'request',
      );
    },
  };

  const plugin: Plugin = {
    onRequest({ request }) {
      http.requestStarted(request);
    },
    onParams({ request, params }) {
      http.paramsRead(request, params);
    },
    // The operation as the document names it, known even when it fails validation or the token check.
    onParse({ context }) {
      const { log, websocket } = logOf(context);
      const requested = (context as { params?: { operationName?: string | null } }).params?.operationName;
      return ({ result }) => {
        if (result && !(result instanceof Error)) {
          const operation = describeOperation(result, requested);
          log.operationName = operation.name ?? log.operationName;
          log.operationType = operation.type;
        } else if (websocket) {
          writeOperation(log, failed('GRAPHQL_PARSE_FAILED'));
        }
      };
    },
    // graphql-ws answers a document that does not validate itself (src/http.ts); HTTP's answer is logged below.
    onValidate({ context }) {
      const { log, websocket } = logOf(context);
      if (!websocket) return;
      return ({ valid, result }) => {
        if (!valid) writeOperation(log, failed('GRAPHQL_VALIDATION_FAILED', result.length));
      };
    },
    onExecute({ args }) {
      const { log, websocket } = onOperation(args);
      return {
        // A method, not an arrow function: see onExecute in metrics.ts.
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return { onNext: ({ result: next }) => noteErrors(next, log.requestId) };
          noteErrors(result, log.requestId);
          if (websocket) writeOperation(log, result);
        },
      };
    },
    onSubscribe({ args }) {
      const { log, websocket } = onOperation(args);
      return {
        onSubscribeResult: ({ result }) => {
          if (!isAsyncIterable(result)) {
            noteErrors(result, log.requestId);
            if (websocket) writeOperation(log, result);
            return;
          }
          return {
            onNext: ({ result: next }) => noteErrors(next, log.requestId),
            ...(websocket ? { onEnd: () => writeOperation(log, null) } : {}),
          };
        },
        onSubscribeError: () => {
          if (websocket) writeOperation(log, failed('INTERNAL_SERVER_ERROR'));
        },
      };
    },
    onResultProcess({ request, result }) {
      http.resultReady(request, result);
    },
    onResponse({ request, response }) {
      http.responded(request, response.status, (name, value) => response.headers.set(name, value));
    },
  };
  return { plugin, http };
}
