/**
 * Which media type an answer is given in, by the client's Accept header, and what a client hears when it
 * accepts none the gateway can give.
 *
 * Yoga takes the first type the header lists and ignores q-values: Apollo Client 4's
 * `application/graphql-response+json, application/json;q=0.9` happens to come out right, but
 * `application/json;q=0, *\/*` (JSON refused) is answered in JSON, and a header that ranks its types by
 * q-value rather than by order gets the type it ranks last. The choice here is HTTP's (RFC 9110, 12.5.1:
 * q-values, a specific type before a range that also covers it, q=0 refused), made by `negotiator`, the
 * library Express and Koa negotiate with. A tie, as with `*\/*` or no Accept header, is
 * `application/json`, as before: it answers a document that does not validate with 200, which clients
 * written before `application/graphql-response+json` expect.
 *
 * One function decides for both paths: Yoga's (useMediaTypeNegotiation, after Yoga's own choice) and the
 * direct POST path (src/graphql-post.ts).
 */
import Negotiator from 'negotiator';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';

type ResultProcessor = Parameters<Parameters<NonNullable<Plugin['onResultProcess']>>[0]['setResultProcessor']>[0];

/** The two types of a JSON answer, ties going to the first. Only UTF-8 is served (as Yoga: another charset is refused). */
const JSON_TYPES = ['application/json;charset=utf-8', 'application/graphql-response+json;charset=utf-8'];

/** Headers seen, with their choice (most clients send one of a handful); bounded, then decided afresh each time. */
const chosen = new Map<string, string | null>();
const MAX_REMEMBERED = 256;

/**
 * The media type of a JSON answer for this Accept header: `application/json` or
 * `application/graphql-response+json`; null when the client accepts neither (a stream, or nothing the
 * gateway gives). No header, or an empty one, accepts anything.
 */
export function answerMediaType(accept: string | null | undefined): string | null {
  if (!accept) return 'application/json';
  const known = chosen.get(accept);
  if (known !== undefined) return known;
  const [best] = new Negotiator({ headers: { accept } }).mediaTypes(JSON_TYPES);
  const type = best ? best.slice(0, best.indexOf(';')) : null;
  if (chosen.size < MAX_REMEMBERED) chosen.set(accept, type);
  return type;
}

/**
 * A batch's answer (BATCH_LIMIT): Yoga's, with the status and headers its items would have had alone. Yoga
 * gives every batch 200 and drops its items' headers, so a batch sent with an expired token was 200 with
 * no WWW-Authenticate, and a client batching over the rate limit got no Retry-After. Now the items' headers
 * are all kept, and the status is theirs when they agree (a bad token refuses every item: 401), else 200.
 */
const processBatchResult: ResultProcessor = (batch, fetchAPI, type) => {
  const results = batch as readonly ExecutionResult[];
  const response = processRegularResult(batch, fetchAPI, type);
  const statuses = new Set<number>();
  for (const result of results) {
    const alone = processRegularResult(result, fetchAPI, type);
    statuses.add(alone.status);
    alone.headers.forEach((value, name) => {
      if (name !== 'content-type') response.headers.set(name, value);
    });
  }
  if (statuses.size !== 1) return response;
  const [status] = statuses;
  return new fetchAPI.Response(response.body, { status, headers: response.headers });
};

const ANSWERS = {
  406:
    'The Accept header names no media type this endpoint answers in: application/graphql-response+json or ' +
    'application/json (text/event-stream for a subscription).',
  415: 'Send the operation as JSON (Content-Type: application/json), or with GET in the query string.',
} as const;

/**
 * A Yoga plugin:
 * - an operation's JSON answer takes the type answerMediaType chooses, over Yoga's first-listed one; a
 *   header that refuses both JSON types is 406 (a stream, and a query over SSE, keep Yoga's choice); a
 *   batch keeps its items' statuses and headers (processBatchResult);
 * - Yoga's 406 (nothing acceptable) and 415 (a body in a type it does not read) come with an error in the
 *   body, as every other refusal does, rather than empty.
 */
export function useMediaTypeNegotiation(): Plugin {
  return {
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (isAsyncIterable(result)) return;
      const type = answerMediaType(request.headers.get('accept'));
      if (type) setResultProcessor(Array.isArray(result) ? processBatchResult : processRegularResult, type);
      // Yoga answers JSON to a header that refuses it (`application/json;q=0`): none, so 406. (A query
      // over SSE, Yoga's choice for `text/event-stream` alone, stays.)
      else if (resultProcessor === processRegularResult) setResultProcessor(undefined as never, '*/*');
    },
    onResponse({ response, setResponse, fetchAPI }) {
      const status = response.status;
      if ((status !== 406 && status !== 415) || response.body !== null) return;
      const body = JSON.stringify({ errors: [{ message: ANSWERS[status], extensions: { code: 'BAD_USER_INPUT' } }] });
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(body, { status, statusText: response.statusText, headers }));
    },
  };
}
