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
import { getSSEProcessor, isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';
import type { HttpObserver } from './observability/operation.ts';
import { processMultipartSubscription } from './live/multipart-subscriptions.ts';

type ResultProcessor = Parameters<Parameters<NonNullable<Plugin['onResultProcess']>>[0]['setResultProcessor']>[0];

/** The two types of a JSON answer, ties going to the first. Only UTF-8 is served (as Yoga: another charset is refused). */
const JSON_TYPES = ['application/json;charset=utf-8', 'application/graphql-response+json;charset=utf-8'];

/**
 * `decide` remembered per Accept header (most clients send one of a handful); bounded, then decided afresh
 * each time. No header, or an empty one, is `none`'s answer.
 */
function perHeader<T>(none: T, decide: (accept: string) => T): (accept: string | null | undefined) => T {
  const known = new Map<string, T>();
  return (accept) => {
    if (!accept) return none;
    if (known.has(accept)) return known.get(accept)!;
    const answer = decide(accept);
    if (known.size < 256) known.set(accept, answer);
    return answer;
  };
}

/**
 * The media type of a JSON answer for this Accept header: `application/json` or
 * `application/graphql-response+json`; null when the client accepts neither (a stream, or nothing the
 * gateway gives). No header, or an empty one, accepts anything.
 */
export const answerMediaType = perHeader<string | null>('application/json', (accept) => {
  const [best] = new Negotiator({ headers: { accept } }).mediaTypes(JSON_TYPES);
  return best ? best.slice(0, best.indexOf(';')) : null;
});

/**
 * Whether the client accepts an event stream (text/event-stream; multipart/mixed, which Yoga also streams
 * in). The header's entries are read by type and q-value only: stream clients add parameters of their own
 * (Apollo's `multipart/mixed;boundary=graphql;subscriptionSpec=1.0`), which negotiator would take as
 * conditions on the type.
 */
export const acceptsStream = perHeader(true, (accept) => negotiatedByTypeAndQ(accept, ['text/event-stream', 'multipart/mixed']));

/** Whether the client accepts server-sent events (`text/event-stream`, or a range covering it, not `q=0`). */
export const acceptsEventStream = perHeader(true, (accept) => negotiatedByTypeAndQ(accept, ['text/event-stream']));

function negotiatedByTypeAndQ(accept: string, types: string[]): boolean {
  const typeAndQ = accept
    .split(',')
    .map((entry) => {
      const [type, ...params] = entry.split(';');
      const q = params.find((param) => /^\s*q\s*=/i.test(param));
      return q ? `${type};${q}` : type;
    })
    .join(',');
  return new Negotiator({ headers: { accept: typeAndQ } }).mediaTypes(types).length > 0;
}

/**
 * Whether a subscription's client asks for multipart HTTP as Apollo Client does (live/multipart-subscriptions.ts):
 * an Accept entry `multipart/mixed` with `subscriptionSpec=1.0` (quoted or not), not refused with `q=0`. Other
 * multipart clients (incremental delivery), and other versions of the protocol, do not speak it.
 */
export const wantsMultipartSubscription = perHeader(false, (accept) =>
  accept.split(',').some((entry) => {
    const [type, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const value = (name: string) => params.find((param) => param.split('=')[0].trim() === name)?.split('=')[1]?.trim().replace(/^"(.*)"$/, '$1');
    const q = value('q');
    return type === 'multipart/mixed' && value('subscriptionspec') === '1.0' && (q === undefined || Number(q) > 0);
  }),
);

/**
 * Which stream a subscription over HTTP is answered with: SSE when the client accepts event streams (a range
 * that covers `text/event-stream` included), else multipart HTTP when it asks for that, else none (406).
 */
export const httpStreamTransport = perHeader<'sse' | 'multipart' | null>('sse', (accept) =>
  acceptsEventStream(accept) ? 'sse' : wantsMultipartSubscription(accept) ? 'multipart' : null,
);

/** Whether an answer of any kind is acceptable (else 406 before anything runs). */
const acceptsAnAnswer = (accept: string | null) => answerMediaType(accept) !== null || acceptsStream(accept);

/** Yoga's SSE processor, for a query whose client refuses JSON but takes a stream. */
const processSseResult = getSSEProcessor();

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
      // The items' own instructions (WWW-Authenticate, Retry-After), not what describes their bodies.
      if (name !== 'content-type' && name !== 'content-length') response.headers.set(name, value);
    });
  }
  if (statuses.size !== 1) return response;
  const [status] = statuses;
  return new fetchAPI.Response(response.body, { status, headers: response.headers });
};

/** The media types an answer can take (a 406 lists them). */
const SERVED = 'application/graphql-response+json, application/json, text/event-stream, multipart/mixed;subscriptionSpec=1.0';

const ANSWERS = {
  406:
    'The Accept header names no media type this endpoint answers in: application/graphql-response+json or ' +
    'application/json (text/event-stream, or multipart/mixed;subscriptionSpec=1.0, for a subscription).',
  415: 'Send the operation as JSON (Content-Type: application/json), or with GET in the query string.',
} as const;

/**
 * A Yoga plugin:
 * - a request to which no answer is acceptable is 406 before anything runs;
 * - an operation's JSON answer takes the type answerMediaType chooses, over Yoga's first-listed one; a
 *   query whose client refuses JSON but takes a stream is answered over SSE; a subscription whose client
 *   refuses event streams is 406 (useEndRefusedStreams ends it); a batch keeps its items' statuses and
 *   headers (processBatchResult).
 */
export function useMediaTypeNegotiation(endpoint: string): Plugin {
  return {
    // Yoga decides the media type after the operation ran: a mutation sent with an Accept header it then
    // answers 406 had still written. A request no answer could be given to is refused before anything runs.
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || (request.method !== 'GET' && request.method !== 'POST')) return;
      if (acceptsAnAnswer(request.headers.get('accept'))) return;
      endResponse(new fetchAPI.Response(null, { status: 406, statusText: 'Not Acceptable' })); // its body: useRefusalBodies
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      const accept = request.headers.get('accept');
      if (isAsyncIterable(result)) {
        // A subscription: over SSE when the client accepts event streams (Yoga picks SSE for a header that
        // names it, q-values unread), else over multipart HTTP when it asks for that as Apollo Client does,
        // else 406 (useEndRefusedStreams ends it).
        const transport = httpStreamTransport(accept);
        if (transport === 'sse') setResultProcessor(processSseResult, 'text/event-stream');
        else if (transport === 'multipart') setResultProcessor(processMultipartSubscription, 'multipart/mixed');
        else setResultProcessor(undefined as never, '*/*');
        return;
      }
      const type = answerMediaType(accept);
      if (type) setResultProcessor(Array.isArray(result) ? processBatchResult : processRegularResult, type);
      // A subscription refused before it started, to a client that takes only multipart subscriptions: the
      // refusal as the protocol's one part, rather than 406 (or Yoga's incremental-delivery multipart).
      else if (httpStreamTransport(accept) === 'multipart') setResultProcessor(processMultipartSubscription, 'multipart/mixed');
      // Yoga answers JSON to a header that refuses it (`application/json;q=0, text/event-stream`): a stream
      // when one is accepted, else 406. (A query over SSE, Yoga's choice for `text/event-stream` alone, stays.)
      else if (resultProcessor === processRegularResult) {
        if (acceptsStream(accept)) setResultProcessor(processSseResult, 'text/event-stream');
        else setResultProcessor(undefined as never, '*/*');
      }
    },
  };
}

/**
 * A Yoga plugin, placed before the request logs and metrics so that they see what it makes of a response:
 * - Yoga's 406 (nothing acceptable) and 415 (a body in a type it does not read) come with an error in the
 *   body, as every other refusal does, rather than empty; the logs and metrics are told of its code;
 * - an event stream is `Cache-Control: no-store`, as every other answer is (src/http.ts).
 */
export function useRefusalBodies(observers: readonly HttpObserver[]): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      // Yoga sends event streams with `no-cache`, which lets a shared cache keep one (and revalidate it):
      // a stream is one viewer's events, as every other answer is one viewer's (src/http.ts), so no-store.
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) response.headers.set('cache-control', 'no-store');
      const status = response.status;
      if ((status !== 406 && status !== 415) || response.body !== null) return;
      const errors = [{ message: ANSWERS[status], extensions: { code: 'BAD_USER_INPUT' } }];
      for (const observer of observers) observer.resultReady(request, { errors });
      const body = JSON.stringify({ errors });
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      // Yoga's list of the acceptable types repeats them once per entry of the request's Accept header
      // (15,000 commas made a 2 MB header): the types, once.
      if (status === 406) headers.set('accept', SERVED);
      setResponse(new fetchAPI.Response(body, { status, statusText: response.statusText, headers }));
    },
  };
}
