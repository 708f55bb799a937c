/**
 * The direct POST path: `POST /graphql` with a JSON body, the request nearly every client sends, answered
 * straight from node:http through Yoga's Envelop (its parse and validation caches, the error mask, and every
 * Envelop plugin: document limits, rate limit, graphql-jit, tracing) without Yoga's Fetch adapter.
 *
 * Written by hand because Yoga's Node integration turns every request into a Fetch Request and Response and
 * walks its request pipeline through promise helpers: for `{ __typename }` that was almost half of the
 * gateway's CPU per request (bench/README.md, round 7), and no library runs Yoga's plugins over plain
 * node:http.
 *
 * It takes only the requests on which Yoga's own request-level plugins have nothing to do, and hands every
 * other request to Yoga unchanged:
 * - before reading the body: another method or path, a content type other than JSON, an Accept header that
 *   accepts no JSON answer (src/media-types.ts), or no Content-Length (a chunked body) or one over MAX_BODY_BYTES;
 * - with the body read: anything but one plain operation (invalid JSON, a batch, unknown parameters), a
 *   persisted query's document sent to be kept or a hash whose document is not kept (src/persisted-queries.ts:
 *   a hash whose document is kept is answered here), a subscription, or an operation that fails before it
 *   runs (syntax, validation, a refused token). Yoga
 *   then answers these as it always does; nothing has run yet, so nothing runs twice.
 * What it does in place of Yoga's request hooks: the request logs and metrics are told of the request
 * (HttpObserver), the answer's media type is the one Yoga would choose for that Accept header (one function
 * decides for both, src/media-types.ts), an answer with errors is
 * made by Yoga's own result processor (status codes, `extensions.http`), and a request with an Origin header
 * gets the CORS headers of Yoga's CORS policy (the preflight, an OPTIONS request, stays Yoga's). test/graphql-post.test.ts
 * compares its answers with Yoga's, and fails when a plugin with request-level hooks is added that this
 * path would skip.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable, isPromise, processRegularResult } from 'graphql-yoga';
import { getCORSHeadersByRequestAndOptions, sendNodeResponse } from '@whatwg-node/server';
import type { App, CorsPolicy } from './app.ts';
import type { HttpObserver } from './observability/operation.ts';
import { answerMediaType } from './media-types.ts';
import { persistedQueryHash, type PersistedQueries } from './persisted-queries.ts';

export interface DirectPostOptions {
  yoga: App['yoga'];
  /** The request logs and metrics (src/observability/setup.ts). */
  observers: HttpObserver[];
  /** MAX_BODY_BYTES: larger bodies go to Yoga, which refuses them. */
  maxBodyBytes: number;
  /** The error mask Yoga was given (app.ts), for an operation that throws instead of returning errors. */
  maskError(error: unknown): Error;
  /** The CORS policy Yoga was given (app.ts): a request with an Origin header gets the same CORS headers. */
  cors: CorsPolicy;
  /** The documents of automatic persisted queries (app.ts), or null when they are off. */
  persistedQueries?: PersistedQueries | null;
}

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** Only one non-negative integer is a Content-Length (as in src/limits.ts). */
const CONTENT_LENGTH = /^\d+$/;

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const PARAMETERS = new Set(['query', 'variables', 'operationName', 'extensions']);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One plain operation, as Yoga's parameter check accepts it; null for anything Yoga should answer. A request
 * sent as the hash of a document `persisted` keeps gets that document, as usePersistedQueries gives it on
 * Yoga's path; one whose document is not kept, or that sends a document with its hash (to be checked and
 * kept), is Yoga's.
 */
function operationParams(body: Buffer, persisted: PersistedQueries | null): Params | null {
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isPlainObject(params)) return null;
  if (persisted && isPlainObject(params.extensions) && params.extensions.persistedQuery != null) {
    const hash = persistedQueryHash(params.extensions);
    if (hash === null || params.query != null) return null;
    const query = persisted.get(hash);
    if (query === undefined) return null;
    params.query = query;
  }
  if (typeof params.query !== 'string') return null;
  for (const key in params) if (params[key] != null && !PARAMETERS.has(key)) return null;
  const { variables, operationName, extensions } = params;
  if (variables != null && !isPlainObject(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (extensions != null && !isPlainObject(extensions)) return null;
  if (operationName === '') delete params.operationName; // no name (GraphQL over HTTP), as on Yoga's path
  return params as unknown as Params;
}

/**
 * Returns the request listener's first step: true when it took the request (and will answer it), false
 * when the request is Yoga's.
 */
export function directPost(options: DirectPostOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { yoga, observers, maxBodyBytes, maskError, cors } = options;
  const persisted = options.persistedQueries ?? null;
  const endpoint = yoga.graphqlEndpoint;
  const { Request } = yoga.fetchAPI;

  /** Yoga answers the request, its body already read. */
  async function handOver(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer) {
    const request = new Request(url, { method: 'POST', headers: req.headers as Record<string, string>, body: new Uint8Array(body) });
    const response = await yoga.fetch(request as Request, { req, res } as RequestInit);
    await sendNodeResponse(response, res, req, true);
  }

  /** What Yoga does with an error thrown by an operation: masked, and logged when the mask changed it. */
  function thrown(error: unknown): ExecutionResult {
    const masked = maskError(error);
    if (masked !== error) yoga.logger.error(error);
    return { errors: [masked instanceof GraphQLError ? masked : new GraphQLError(masked.message, { originalError: masked })] };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, body: Buffer, mediaType: string) {
    const url = `http://${req.headers.host ?? 'localhost'}${req.url}`;
    const params = operationParams(body, persisted);
    if (!params) return handOver(req, res, url, body);
    // A Fetch Request without a body, for the hooks and the context that read the request's headers.
    const request = new Request(url, { method: 'POST', headers: req.headers as Record<string, string> });
    for (const observer of observers) {
      observer.requestStarted(request);
      observer.paramsRead(request, params);
    }

    // Yoga's initial context: the server context (req, res), the request and its parameters.
    const enveloped = yoga.getEnveloped({ req, res, request, params });
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
    } catch {
      return handOver(req, res, url, body);
    }
    if (enveloped.validate(enveloped.schema, document).length > 0) return handOver(req, res, url, body);
    const operation = getOperationAST(document, params.operationName ?? undefined);
    if (!operation || operation.operation === 'subscription') return handOver(req, res, url, body);
    let contextValue: unknown;
    try {
      contextValue = enveloped.contextFactory();
      if (isPromise(contextValue)) contextValue = await contextValue;
    } catch {
      return handOver(req, res, url, body); // a token that does not verify: Yoga answers UNAUTHENTICATED
    }

    let result: ExecutionResult;
    try {
      const executed = enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      });
      result = (isPromise(executed) ? await executed : executed) as ExecutionResult;
    } catch (error) {
      result = thrown(error);
    }
    for (const observer of observers) observer.resultReady(request, result);

    let status = 200;
    let text: string;
    const headers: Record<string, string> = {};
    if (isAsyncIterable(result) || result.errors?.length || result.extensions) {
      // Status codes, `extensions.http` headers and internals left out: Yoga's own result processor.
      const response = processRegularResult(result, yoga.fetchAPI, mediaType);
      status = response.status;
      response.headers.forEach((value, name) => (headers[name] = value));
      text = await response.text();
    } else {
      headers['Content-Type'] = `${mediaType}; charset=utf-8`;
      const stringify = (result as { stringify?: (result: unknown) => string }).stringify ?? JSON.stringify;
      text = stringify(result);
    }
    headers['content-length'] = String(Buffer.byteLength(text));
    // As Yoga's CORS plugin does for an answer (a preflight, OPTIONS, is Yoga's).
    if (req.headers.origin !== undefined) Object.assign(headers, getCORSHeadersByRequestAndOptions(request, cors(request)));
    for (const observer of observers) observer.responded(request, status, (name, value) => (headers[name] = value));
    sendSoon(res, status, headers, text);
  }

  /** A failure of this module itself: logged, and answered like Yoga's masked errors. */
  function failed(res: ServerResponse, error: unknown) {
    yoga.logger.error(error);
    if (res.headersSent) return void res.destroy();
    const text = JSON.stringify({ errors: [maskError(error)] });
    res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  /**
   * Answers made ready during the current turn of the event loop are written together at its end (a
   * setImmediate runs right after the loop's I/O callbacks and the promises they settle). Written by hand:
   * node:http writes each answer the moment `end()` is called, one write system call each, and on a virtual
   * machine a write to a client that is waiting costs a wake-up of that client's CPU. When the gateway is
   * the slower side its clients are always waiting, and those wake-ups were a large share of its CPU time
   * per `{ __typename }` (bench/README.md, round 12); written back to back, the answers of a turn wake a
   * client once for several of them. An answer waits at most for the other requests of its turn. (Corking
   * the socket would not do: `end()` uncorks it fully.)
   */
  let ready: { res: ServerResponse; status: number; headers: Record<string, string>; text: string }[] = [];
  function sendReady() {
    const batch = ready;
    ready = [];
    for (const { res, status, headers, text } of batch) {
      try {
        res.writeHead(status, headers);
        res.end(text);
      } catch (error) {
        failed(res, error);
      }
    }
  }
  function sendSoon(res: ServerResponse, status: number, headers: Record<string, string>, text: string) {
    if (ready.push({ res, status, headers, text }) === 1) setImmediate(sendReady);
  }

  return function take(req, res) {
    if (req.method !== 'POST' || req.url !== endpoint) return false;
    const { headers } = req;
    // The media type Yoga would answer in (src/media-types.ts); none acceptable: a stream, or Yoga's 406.
    const mediaType = answerMediaType(headers.accept);
    const length = headers['content-length'];
    if (
      !mediaType ||
      headers['transfer-encoding'] !== undefined ||
      !JSON_TYPES.has(headers['content-type']?.toLowerCase() ?? '') ||
      length === undefined ||
      !CONTENT_LENGTH.test(length) ||
      Number(length) > maxBodyBytes
    ) {
      return false;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      answer(req, res, body, mediaType).catch((error) => failed(res, error));
    });
    return true;
  };
}
