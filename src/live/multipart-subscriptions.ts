/**
 * Subscriptions over multipart HTTP, the protocol Apollo Client's HttpLink speaks for a subscription (and its
 * adapters for Relay and urql): a POST with `Accept: multipart/mixed;boundary="graphql";subscriptionSpec=1.0,
 * application/json`, answered by one response that stays open, each result of the subscription one part:
 *
 *     Content-Type: multipart/mixed;boundary="graphql";subscriptionSpec="1.0"
 *
 *     \r\n--graphql
 *     \r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}\r\n--graphql
 *     \r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"payload":{"data":{…}}}\r\n--graphql
 *     …
 *     --\r\n
 *
 * Each part is followed by its delimiter at once: a client knows a part has ended only when it reads the
 * next delimiter, so a delimiter written before each part instead would hold every event back until the next.
 * A result travels as `payload`; `{}` is a heartbeat (one at once, so that the client knows the subscription
 * started, then every HEARTBEAT_MS, which keeps proxies from closing an idle connection); the closing
 * delimiter ends the subscription (the token's expiry, the server's shutdown). An error of the stream itself,
 * not of the operation, is a last part `{"payload":null,"errors":[…]}`, masked as every error is.
 *
 * Written by hand: Yoga answers subscriptions over server-sent events only (its own multipart processor is for
 * incremental delivery, and it does not offer it for subscriptions), and no library implements this protocol
 * for a Fetch server. It is Yoga's SSE processor with the framing of this protocol.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type FetchAPI } from 'graphql-yoga';
import { formatWithoutHttp } from '../errors.ts';

/** The heartbeat's interval: Apollo's routers send one every 5-10 s; clients read it as nothing. */
const HEARTBEAT_MS = 10_000;

/** The protocol's boundary and media type (what Apollo's routers answer with). */
const BOUNDARY = 'graphql';
const MULTIPART_SUBSCRIPTION_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;

const DELIMITER = `\r\n--${BOUNDARY}`;
/** A part: its headers, its JSON and the delimiter that ends it. */
const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}${DELIMITER}`;
const HEARTBEAT = part('{}');
/** After the last part's delimiter: the closing one. */
const END = '--\r\n';
const STREAM_FAILED = JSON.stringify({
  payload: null,
  errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
});

/** A result as a part: its errors without `extensions.http`, as Yoga writes them in the bodies it makes. */
function resultPart(result: ExecutionResult): string {
  const { errors, extensions, ...rest } = result;
  const payload: Record<string, unknown> = { ...rest };
  if (errors?.length) payload.errors = errors.map((error) => formatWithoutHttp(error as GraphQLError));
  if (extensions) {
    const { http: _http, ...others } = extensions;
    if (Object.keys(others).length > 0) payload.extensions = others;
  }
  return part(JSON.stringify({ payload }));
}

/**
 * The status and headers of a subscription refused before it started (one result, not a stream), as Yoga
 * gives them to the same refusal over SSE or in JSON: a bad token is 401 with `WWW-Authenticate`, the rate
 * limit 429 with `Retry-After`. A status GraphQL over HTTP sets only for its own media type (`spec`: a
 * document that does not validate) stays 200, as to a client of `application/json`.
 */
function refusalInit(result: ExecutionResult): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const error of result.errors ?? []) {
    const http = error.extensions?.http as { status?: number; headers?: Record<string, string>; spec?: boolean } | undefined;
    if (!http) continue;
    Object.assign(headers, http.headers);
    if (!http.spec && http.status && (status === 200 || http.status > status)) status = http.status;
  }
  return { status, headers };
}

/** Yoga's result processor for a subscription a client asked for over multipart HTTP (media-types.ts). */
export function processMultipartSubscription(result: unknown, fetchAPI: FetchAPI): Response {
  const encoder = new fetchAPI.TextEncoder();
  const iterator = isAsyncIterable(result)
    ? (result as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]()
    : (function* () {
        yield result as ExecutionResult;
      })();
  let heartbeat: NodeJS.Timeout | undefined;
  const stream = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(DELIMITER + HEARTBEAT));
      heartbeat = setInterval(() => {
        // null: errored or closed; 0: the client reads slowly, and a heartbeat would only add to its backlog.
        if (controller.desiredSize === null) clearInterval(heartbeat);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(HEARTBEAT));
      }, HEARTBEAT_MS);
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.value != null) controller.enqueue(encoder.encode(resultPart(next.value)));
        if (next.done) {
          clearInterval(heartbeat);
          controller.enqueue(encoder.encode(END));
          controller.close();
        }
      } catch {
        clearInterval(heartbeat);
        controller.enqueue(encoder.encode(part(STREAM_FAILED) + END));
        controller.close();
      }
    },
    async cancel(reason) {
      clearInterval(heartbeat);
      await iterator.return?.(reason);
    },
  });
  const refused = isAsyncIterable(result) ? null : refusalInit(result as ExecutionResult);
  return new fetchAPI.Response(stream, {
    status: refused?.status ?? 200,
    headers: { ...refused?.headers, 'Content-Type': MULTIPART_SUBSCRIPTION_TYPE, Connection: 'keep-alive', 'Cache-Control': 'no-store' },
  });
}
