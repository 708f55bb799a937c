/**
 * What metrics and logs say about one GraphQL operation: its name, its errors' codes and its transport,
 * each reduced to a small, bounded set of values (label values and log fields come from client input).
 */
import { getOperationAST, GraphQLError, type DocumentNode } from 'graphql';
import { clientMistakeCode } from '../errors.ts';

/** Live subscriptions are counted by their transport: SSE (over HTTP) or graphql-ws. */
export type LiveTransport = 'sse' | 'ws' | 'multipart';

/**
 * What the request logs and metrics record of an HTTP request at its start, when its result is ready and
 * when it is answered. Their Yoga plugins call these from Yoga's request hooks; the direct POST path
 * (src/graphql-post.ts), which answers without those hooks, calls them itself.
 */
export interface HttpObserver {
  requestStarted(request: Request): void;
  paramsRead(request: Request, params: { operationName?: string | null }): void;
  resultReady(request: Request, result: unknown): void;
  /** Called before the response's head is written; `setHeader` adds a header to it. */
  responded(request: Request, status: number, setHeader: (name: string, value: string) => void): void;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** An operation name fit for a log line: a GraphQL name (at most 100 characters), else null. */
export function cleanOperationName(name: unknown): string | null {
  return typeof name === 'string' && GRAPHQL_NAME.test(name) ? name : null;
}

/** The name and type (query, mutation, subscription) of the operation a document and name select. */
export function describeOperation(document: DocumentNode, operationName?: string | null) {
  const operation = getOperationAST(document, operationName ?? undefined);
  return { name: cleanOperationName(operation?.name?.value), type: operation?.operation ?? null };
}

/**
 * Turns operation names into metric label values without letting clients grow the label set without
 * bound: the first `limit` distinct names are kept, later ones count as `other`; unnamed ones are
 * `anonymous`.
 */
export function boundedNames(limit = 200): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    const clean = cleanOperationName(name);
    if (!clean) return 'anonymous';
    if (seen.has(clean)) return clean;
    if (seen.size >= limit) return 'other';
    seen.add(clean);
    return clean;
  };
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The contract code of an error as clients get it (`extensions.code`). A graphql-ws operation's errors are
 * seen here before the error mask: one of graphql's own errors of the client's making gets the code the
 * mask gives it (errors.ts: clientMistakeCode); any other error without one is an unexpected failure, which
 * the mask turns into INTERNAL_SERVER_ERROR before it leaves.
 */
export function errorCode(error: Pick<GraphQLError, 'extensions'> | unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string' && CODE.test(code)) return code;
  return (error instanceof GraphQLError && clientMistakeCode(error)) || 'INTERNAL_SERVER_ERROR';
}

/** The codes of a result (or batch of results), each once, in order; empty when it succeeded. */
export function resultErrorCodes(result: unknown): string[] {
  const results = Array.isArray(result) ? result : [result];
  // Each code once: an answer of thousands of errors is not a log line of thousands of codes.
  return [...new Set(results.flatMap((one) => ((one as { errors?: readonly unknown[] } | null)?.errors ?? []).map(errorCode)))];
}

/**
 * The path of a request URL (always absolute here), without its query string or fragment. Cut by hand
 * rather than through `new URL()`, which costs a full parse on every request line.
 */
export function pathOf(url: string): string {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end === -1 || end < start ? undefined : end);
}
