/**
 * startServer(): the gateway on a port. HTTP and SSE go through Yoga (plain JSON POSTs straight through
 * its Envelop, src/graphql-post.ts); GraphQL over WebSocket (graphql-ws) shares the same port and path, with
 * the connection limits of src/live/ws.ts (init timeout, token expiry, slow readers). Separate from server.ts
 * so tests can start and stop it in-process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Config } from './config.ts';
import { buildApp, type App, type AppOptions } from './app.ts';
import { directPost } from './graphql-post.ts';
import { connectionAuthorization, viewerFromAuthorization } from './auth/viewer.ts';
import { cookieToken, refuseCookie, type CookieAuth, type CookieToken } from './auth/cookie.ts';
import { closeWhenTokenExpires, GatewayWebSocket, serveGraphqlWs } from './live/ws.ts';
import type { ConnectionObserver } from './observability/connections.ts';
import { writeBatch } from './live/write-batch.ts';
import { httpStreamTransport, wantsMultipartSubscription } from './media-types.ts';
import { refreshSearchKeysAtStart } from './db/search-keys.ts';
import { formatWithoutHttp } from './errors.ts';
import { ConnectionsPerAddress } from './live/connection-cap.ts';
import { watchStalledStreams } from './live/stalled-streams.ts';
import { endWithoutComplete, endsWithoutComplete, isSseComplete } from './live/stream-end.ts';
import { pathOf } from './observability/operation.ts';

export interface RunningServer {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql (ws:// on the same URL for WebSocket). */
  url: string;
  port: number;
  /** The gateway being served (for in-process inspection). */
  app: App;
  /** Stops accepting, lets in-flight requests finish, ends live connections, disconnects the database. */
  close(): Promise<void>;
}

/** How long close() waits for in-flight requests before cutting the remaining connections. */
const SHUTDOWN_GRACE_MS = 5_000;
/** The WebSocket close code of a server that cannot serve now but may soon (RFC 6455's registry: 1013). */
const TRY_AGAIN_LATER = 1013;

/**
 * A GraphQL error with one of the contract's codes (graphql-ws hands errors to clients as they are): its own
 * code if it has one (a page size out of range is BAD_USER_INPUT), else `code`.
 */
const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code: (error.extensions?.code as string | undefined) ?? code },
  });

/** Whether a request asks for a stream: server-sent events, or multipart HTTP (a subscription either way). */
const wantsEventStream = (req: IncomingMessage) => {
  const accept = req.headers.accept;
  return accept !== undefined && (accept.includes('text/event-stream') || wantsMultipartSubscription(accept));
};

/**
 * An event stream's (SSE or multipart) events of one turn of the event loop leave in one write
 * (live/write-batch.ts). A write past the buffer's limit still says so (false), and its 'drain' comes once
 * the uncorked buffer empties. An SSE stream marked to end without `complete` does not write it
 * (live/stream-end.ts).
 */
function coalesceWrites(res: ServerResponse): void {
  const write = res.write;
  const batch = writeBatch(res);
  res.write = function (this: ServerResponse, ...args: Parameters<ServerResponse['write']>) {
    if (endsWithoutComplete(this) && isSseComplete(args[0])) {
      const done = args.find((arg) => typeof arg === 'function') as ((error?: Error | null) => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }
    batch.add();
    return write.apply(this, args as Parameters<typeof write>);
  } as ServerResponse['write'];
}

/**
 * Node keeps the first of repeated Authorization headers and drops the others, so a request carrying two
 * tokens would run as whichever came first. They are combined instead, as HTTP combines a repeated field
 * (RFC 9110, 5.3): a list of values, which is never one "Bearer <token>", so the request is refused (401).
 * Returns how many there were.
 */
function combineRepeatedAuthorization(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  let values: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') (values ??= []).push(raw[i + 1]);
  }
  if (values !== null && values.length > 1) req.headers.authorization = values.join(', ');
  return values?.length ?? 0;
}

/**
 * The schemes a browser sends credentials in by itself, with every request, to a site behind a password or
 * on a company's network (Basic, Digest: RFC 7617, 7616; Negotiate and NTLM: Windows sign-in). They are not
 * the gateway's: with AUTH_COOKIE on they are passed over, so the cookie stands in (over HTTP and WebSocket).
 */
const BROWSER_SCHEMES = /^(basic|digest|negotiate|ntlm)(\s|$)/i;

/**
 * Whether a request's Authorization header (`count` of them, combined) is one to pass over for the cookie:
 * none (absent or blank), or exactly one header in a scheme of BROWSER_SCHEMES, holding one credential (a
 * Digest one holds commas of its own). Anything else is the gateway's to read, and refused when it is not one
 * "Bearer <token>" (401 over HTTP, 4403 at a WebSocket's handshake): a token sent without `Bearer`, or
 * `Bearer:` mistyped, or two headers, is never swapped silently for the cookie's member, nor run as the
 * anonymous viewer.
 */
function passesOver(header: string | undefined, count: number): boolean {
  if (header === undefined || header.trim() === '') return true;
  const value = header.trim();
  // Only Digest's parameters are comma-separated; a comma in another is credentials listed in one header.
  return count === 1 && BROWSER_SCHEMES.test(value) && (!value.includes(',') || /^digest\s/i.test(value));
}

/**
 * A WebSocket's token when its `connection_init` carries none: the handshake's Authorization header when it
 * is meant for the gateway (passesOver: a client that is not a browser may send a bearer one, as over HTTP;
 * bad, bare, scheme-less or repeated ones are refused as over HTTP), else AUTH_COOKIE's cookie, from a page
 * that may use it. A header a browser sends by itself (Basic) is passed over, with or without AUTH_COOKIE:
 * the socket's token is the one in `connection_init`.
 */
function handshakeAuthorization(request: IncomingMessage, cookieAuth: CookieAuth | null): CookieToken | undefined {
  const count = request.headers.authorization === undefined ? 0 : combineRepeatedAuthorization(request);
  const header = request.headers.authorization;
  if (!passesOver(header, count)) return { authorization: header!.trim() };
  return cookieAuth ? cookieToken(request.headers, cookieAuth) : undefined;
}

/** AUTH_COOKIE's cookie and the origins whose pages may use it (auth/cookie.ts), or null when it is off. */
function cookieAuthOf(config: Config): CookieAuth | null {
  return config.tokens.cookie === null ? null : { name: config.tokens.cookie, origins: config.limits.corsOrigins };
}

/** The HTTP request listener: a JSON `POST /graphql` is answered directly (src/graphql-post.ts), the rest by Yoga. */
export function requestListener(app: App, config: Config): (req: IncomingMessage, res: ServerResponse) => void {
  const post = directPost({ yoga: app.yoga, observers: app.httpObservers, maxBodyBytes: config.limits.maxBodyBytes, maskError: app.maskError, cors: app.cors, persistedQueries: app.persistedQueries });
  const cookieAuth = cookieAuthOf(config);
  const endpoint = app.yoga.graphqlEndpoint;
  const isEndpoint = (url: string | undefined) => url !== undefined && (url === endpoint || url.startsWith(`${endpoint}?`));
  return (req, res) => {
    // Answers are JSON or event streams, never to be sniffed by a browser as something else.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Nor kept by a cache: an answer is one viewer's (GET too), and a shared cache keyed by the URL would
    // hand it to the next visitor, or keep showing a group after it became SECRET. (Yoga's `no-cache` on an
    // event stream replaces this; src/media-types.ts puts no-store back.)
    res.setHeader('Cache-Control', 'no-store');
    const authorizations = req.headers.authorization === undefined ? 0 : combineRepeatedAuthorization(req);
    // AUTH_COOKIE's cookie stands in for a blank Authorization header, and for one a browser sends by itself
    // (Basic credentials), which is then passed over: without the cookie the request is anonymous.
    if (cookieAuth && passesOver(req.headers.authorization, authorizations) && isEndpoint(req.url)) {
      const token = cookieToken(req.headers, cookieAuth);
      if (token && 'refused' in token) refuseCookie(req, token.refused);
      else if (token) req.headers.authorization = token.authorization;
      else delete req.headers.authorization;
    }
    const unreadBody = bodyNotRead(req);
    if (unreadBody) return refuse(req, res, app.connections, 415, unreadBody);
    // Yoga makes the request's URL from its Host header and target, and a Host such as `a b` (or a target
    // such as `*`) makes none: its adapter then answered 500 with a stack trace. Checked before the direct
    // POST path too, which hands Yoga what it does not answer itself (an invalid document, a bad token).
    if (!URL.canParse(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`)) {
      return refuse(req, res, app.connections, 400, 'The Host header and the request target do not make a URL.');
    }
    if (post(req, res)) return;
    if (wantsEventStream(req)) coalesceWrites(res);
    void app.yoga(req, res);
  };
}

/**
 * Why a request's body would not be read as sent, or null: a Content-Encoding (gzip, say) that Yoga does not
 * undo, so a compressed body was "invalid JSON" and an unknown encoding was read as if there were none; a
 * charset other than UTF-8, which JSON is (RFC 8259) and which Yoga read as UTF-8 all the same.
 */
function bodyNotRead(req: IncomingMessage): string | null {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return 'Send the body uncompressed, without a Content-Encoding.';
  const type = req.headers['content-type'];
  if (type === undefined || !type.includes(';')) return null;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return 'Send the body in UTF-8 (charset=utf-8, or no charset).';
  return null;
}

/** A request refused before Yoga reads it: a JSON error with `status`, logged and counted (observability/connections.ts). */
function refuse(req: IncomingMessage, res: ServerResponse, connections: ConnectionObserver, status: number, message: string): void {
  // A target in another form than a path (`*`, an absolute URL) is logged without one.
  connections.requestRefused(status, req.method ?? null, req.url?.startsWith('/') ? req.url : null);
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

/** Node's answers to a request it cannot read, by its error's code: status, reason and what to tell the client. */
const UNREADABLE: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large (at most 16 KB in all).'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'The request body’s chunk extensions are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not sent in time. Send it again.'],
};
const NOT_HTTP: [number, string, string] = [400, 'Bad Request', 'The request is not valid HTTP.'];

/**
 * A request Node cannot read (headers too large, malformed, or not sent within REQUEST_TIMEOUT_MS) gets the
 * status Node would give it, with a JSON error like every other refusal rather than Node's bare status line,
 * and is logged and counted as a request (observability/connections.ts).
 * As Node's own handler does (lib/_http_server.js): only when nothing of a response was written on the
 * connection yet, then the connection is closed.
 */
function answerUnreadable(error: NodeJS.ErrnoException, socket: Duplex, connections: ConnectionObserver): void {
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (!pending || !pending.headersSent)) {
    const [status, reason, message] = UNREADABLE[error.code ?? ''] ?? NOT_HTTP;
    connections.requestRefused(status, null, null);
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export async function startServer(config: Config, options: AppOptions = {}): Promise<RunningServer> {
  const app = buildApp(config, options);
  const { yoga } = app;
  // Stored search keys made by an older searchKey are recomputed before the first request (db/search-keys.ts).
  const searchKeys = refreshSearchKeysAtStart(app.services.db, app.logger);
  await searchKeys.done;
  // Slow clients: a request (headers and body) must arrive within REQUEST_TIMEOUT_MS, its headers within 10 s,
  // checked every second (Node's default check, every 30 s, would let them stay that much longer).
  const requestTimeout = config.limits.requestTimeoutMs;
  const server = createServer(
    { requestTimeout, headersTimeout: Math.min(10_000, requestTimeout), connectionsCheckingInterval: 1_000 },
    requestListener(app, config),
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerUnreadable(error, socket, app.connections));

  // SSE streams never finish on their own, so shutdown ends them. They are known by the request's Accept
  // header, since the response's headers are written in one go and cannot be read back. One whose client has
  // stopped reading is cut after STREAM_STALL_TIMEOUT_MS (live/stalled-streams.ts).
  const streams = new Set<ServerResponse>();
  const stalled = watchStalledStreams(config.live.streamStallTimeoutMs, (res) => {
    const req = res.req;
    app.connections.streamCut(httpStreamTransport(req.headers.accept) === 'multipart' ? 'multipart' : 'sse', req.url ? pathOf(req.url) : null);
  });
  server.on('request', (req, res) => {
    if (!wantsEventStream(req)) return;
    streams.add(res);
    stalled.track(res);
    res.on('close', () => streams.delete(res));
  });

  // A message is at most as large as a request body may be (ws's own default is 100 MiB, read into memory
  // before anything looks at it, even before connection_init); a larger one closes the socket with 1009.
  // At most MAX_WS_CONNECTIONS_PER_ADDRESS sockets from one client address (live/connection-cap.ts).
  // A handshake refused over the cap is logged and counted (observability/connections.ts).
  const connections = new ConnectionsPerAddress(config.live.maxConnectionsPerAddress, config.limits.trustProxy, (req, status) =>
    app.connections.handshakeRefused(req.url ?? '/', status),
  );
  const cookieAuth = cookieAuthOf(config);
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: config.limits.maxBodyBytes,
    verifyClient: connections.verifyClient,
    WebSocket: GatewayWebSocket,
  });
  connections.track(wsServer);
  // ws passes on the HTTP server's errors (a port already taken) as its own: they are the listen's, below, to
  // report, and unheard here they would crash the process with a stack trace.
  wsServer.on('error', () => undefined);
  // Every connection's end is logged and counted with its close code (observability/connections.ts).
  wsServer.on('connection', (socket: GatewayWebSocket) => {
    const closed = app.connections.wsOpened();
    socket.once('close', (code: number) => closed({ code: socket.closeCode ?? code, viewer: socket.viewer }));
  });
  const graphqlWs = serveGraphqlWs(
    wsServer,
    {
      // The token is checked at connection_init: a bad one is graphql-ws's Forbidden close (4403), rather
      // than every operation of the connection failing. When it expires, the connection is closed (4401).
      // A token that could not be checked (the identity provider's keys out of reach) is not the client's
      // fault: the socket is closed with 1013, "Try Again Later", which graphql-ws clients retry (they give
      // up on graphql-ws's own 4500), and the failure is logged.
      onConnect: async (ctx) => {
        const authorization = connectionAuthorization(ctx.connectionParams);
        if (authorization != null && typeof authorization !== 'string') return false;
        const fromHandshake = authorization === undefined ? handshakeAuthorization(ctx.extra.request, cookieAuth) : undefined;
        if (fromHandshake && 'refused' in fromHandshake) return false;
        ctx.extra.socket.handshakeAuthorization = fromHandshake?.authorization;
        try {
          const viewer = await viewerFromAuthorization(authorization ?? fromHandshake?.authorization, app.services.tokens);
          closeWhenTokenExpires(ctx.extra.socket, viewer.expiresAt);
          ctx.extra.socket.viewer = viewer.memberId ?? 'anonymous';
          return true;
        } catch (error) {
          if (!(error instanceof GraphQLError && error.extensions.code === 'UNAUTHENTICATED')) {
            app.logger.error({ err: error }, 'a WebSocket token could not be checked');
            // The first close frame is the one sent: graphql-ws's own 4403 that follows is not.
            ctx.extra.socket.close(TRY_AGAIN_LATER, 'Try again later');
          }
          return false;
        }
      },
      // Yoga's envelop (its plugins and error masking) runs each operation; the context reads the viewer from
      // connectionParams (context.ts).
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          // Marks the operation as running on this connection (live/event-stream.ts: limits per connection).
          socket: ctx.extra.socket,
          params: payload,
          // The context reads the token from there (context.ts), the handshake's as connection_init's (in place
          // of a blank one there).
          connectionParams: ctx.extra.socket.handshakeAuthorization
            ? { authorization: ctx.extra.socket.handshakeAuthorization }
            : ctx.connectionParams,
        });
        // Errors returned here fail this operation only; thrown ones would close the whole socket.
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
          throw error;
        }
        const errors = validate(schema, document);
        if (errors.length) return errors.map((error: GraphQLError) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        // graphql-ws's own error for this has no code. An empty operationName is none, as over HTTP.
        const operationName = payload.operationName || undefined;
        if (!getOperationAST(document, operationName)) {
          const message = operationName
            ? `Unknown operation named "${operationName}".`
            : 'Must provide operation name if query contains multiple operations.';
          app.connections.wsOperationRefused(operationName, 'GRAPHQL_VALIDATION_FAILED', ctx.extra.socket.viewer);
          return [new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })];
        }
        let contextValue;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          // A token that expired since connection_init.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        return {
          schema,
          operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      // graphql-ws sends errors as they are: a 401 or 429 meant for HTTP would otherwise reach clients as data.
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWithoutHttp),
      // Most results carry no error: those go out as they are, with no copy.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(formatWithoutHttp) } : undefined,
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
    },
    {
      connectionInitTimeoutMs: config.live.connectionInitTimeoutMs,
      maxBufferedBytes: config.live.maxBufferedBytes,
      onFailure: (error) => app.logger.error({ err: error }, 'a WebSocket connection failed'),
    },
  );

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    searchKeys.stop();
    await app.close(); // e.g. the port is taken: leave no database connection behind
    throw error;
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  async function shutdown() {
    // No new connections; requests already running finish (server.close waits for them).
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Live clients are told the server is going away (1001), so they reconnect elsewhere.
    for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
    const wsClosed = graphqlWs.dispose();
    // Live subscriptions end: an SSE stream writes what it has waiting and ends without its `complete`
    // (live/stream-end.ts), so that its client resumes elsewhere; a multipart one ends with its closing
    // delimiter, as Apollo Client's HttpLink expects of an ended subscription.
    for (const res of streams) if (httpStreamTransport(res.req.headers.accept) === 'sse') endWithoutComplete(res);
    app.services.events.endAll();
    server.closeIdleConnections();
    // A client that never answers must not hold the process: after the grace period, cut what is left (a
    // stream still replaying a long history among them).
    const grace = setTimeout(() => {
      for (const client of wsServer.clients) client.terminate();
      for (const res of streams) res.destroy();
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all([stopped, wsClosed]);
    clearTimeout(grace);
    stalled.stop();
    searchKeys.stop();
    await app.close();
  }

  // A wildcard address is not somewhere to connect to; this machine is.
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}${yoga.graphqlEndpoint}`,
    port,
    app,
    close: () => (closing ??= shutdown()),
  };
}
