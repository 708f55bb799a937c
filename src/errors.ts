import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The error codes of the public contract (API.md, "Errors"). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'INTERNAL_SERVER_ERROR';

/**
 * What a refusal is about, beside its code: the one item of a batch it names (`memberId`, `id`, `questionId`),
 * or the groups it is about (`groupIds`), so a client can point at them without reading the sentence.
 */
export type ErrorSubject = { memberId: string } | { id: string } | { questionId: string } | { groupIds: string[] };

/** A client-facing error: a short sentence and one of the contract's codes. Never carries internals. */
export function clientError(code: ErrorCode, message: string, subject?: ErrorSubject): GraphQLError {
  return new GraphQLError(message, { extensions: subject ? { code, ...subject } : { code } });
}

/**
 * A field that needs a signed-in viewer, asked for anonymously. A field error like any other: the rest of
 * the result resolves and the HTTP status stays 200 (GraphQL over HTTP: a well-formed request is answered
 * 200 whatever its field errors), so a client never takes a partial result for a refused request.
 */
export const unauthenticated = (message = 'Sign in to do this.') => clientError('UNAUTHENTICATED', message);
/**
 * A token that cannot be trusted: the whole request is refused before anything runs, with HTTP 401
 * (Yoga takes the status from `extensions.http` and leaves it out of the body).
 */
export const badToken = (message: string) =>
  new GraphQLError(message, {
    // RFC 9110 asks a 401 to say how to authenticate; RFC 6750 spells it for bearer tokens.
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } } },
  });
export const forbidden = (message = 'You are not allowed to do this.') => clientError('FORBIDDEN', message);
/** The same words for "missing" and "hidden from you", so an answer never tells a secret group exists. */
export const groupNotFound = () => clientError('NOT_FOUND', 'Group not found.');
export const notFound = (message: string, subject?: ErrorSubject) => clientError('NOT_FOUND', message, subject);
export const badInput = (message: string, subject?: ErrorSubject) => clientError('BAD_USER_INPUT', message, subject);
export const conflict = (message: string, subject?: ErrorSubject) => clientError('CONFLICT', message, subject);
/**
 * The refusal of a page size out of range, the same words whether `first` (or `last`) came as a literal or a
 * variable.
 */
export const pageSizeMessage = (maxPageSize: number, argument: 'first' | 'last' = 'first') =>
  `"${argument}" must be between 0 and ${maxPageSize}.`;

/** A message without graphql's "Did you mean …?" hints, for fields, types, arguments and enum values alike. */
export const withoutSuggestions = (message: string) => message.replace(/\s*Did you mean [^?]*\?/g, '');

/** True for Prisma's unique-constraint violation (P2002), which the domain turns into CONFLICT. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002';
}

/**
 * Errors of the client's own making that maskError had to answer with another error object (graphql's
 * variable coercion and validation errors): Yoga's logger then sees the original, and logs it at debug
 * rather than as an unexpected failure (observability/logging.ts).
 */
export const clientMistakes = new WeakSet<object>();

/**
 * The contract code of one of graphql's own errors that carry none, when it is the client's mistake: a
 * variable that does not fit its type ("Variable "$x" got invalid value …", whose original is the scalar's
 * or enum's own GraphQLError, or a required one missing) is BAD_USER_INPUT; another error raised before
 * anything ran (no path, no original: an operation graphql cannot pick) is GRAPHQL_VALIDATION_FAILED. Null
 * for anything else: an error with a path but no code was raised while executing, by graphql itself (a null
 * for a non-null field), and is ours. One rule for the error mask (app.ts) and for the logs and metrics, which
 * see a graphql-ws operation's errors before the mask (observability/operation.ts).
 */
export function clientMistakeCode(error: GraphQLError): 'BAD_USER_INPUT' | 'GRAPHQL_VALIDATION_FAILED' | null {
  if (error.path) return null;
  const variables = /^Variable "\$/.test(error.message);
  const original = error.originalError;
  if (!original) return variables ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
  return variables && original instanceof GraphQLError ? 'BAD_USER_INPUT' : null;
}

/**
 * An error as a client of a stream gets it (graphql-ws, multipart HTTP): without `extensions.http`, which is
 * Yoga's instruction for an HTTP response (its status and headers) and which Yoga leaves out of the bodies it
 * writes itself.
 */
export function formatWithoutHttp(error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  if (!formatted.extensions || !('http' in formatted.extensions)) return formatted;
  const { http: _http, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
