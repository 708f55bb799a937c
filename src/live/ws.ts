/**
 * graphql-ws on a `ws` WebSocketServer, like graphql-ws's own `useServer` (keep-alive pings, the same close
 * codes), with the gateway's limits on each connection:
 *
 *   4408 Connection initialisation timeout   no `connection_init` within WS_CONNECTION_INIT_TIMEOUT_MS
 *   4403 Forbidden                            the token in `connection_init` is not valid
 *   4401 Token expired                        the connection's token expired (checked on a timer)
 *   4008 Too slow: resume with after          more than WS_MAX_BUFFERED_BYTES waiting to be sent
 *   1001 Server shutting down                 the server stops (see http.ts)
 *   1013 Try again later                      the token could not be checked (see http.ts)
 *   4500 Internal server error                an error of the server's (reported to `onFailure`)
 *
 * Sending differs from `useServer` on purpose: useServer waits for each message to be written before
 * sending that subscription's next one, so a client that reads slowly holds its events in the process (up to
 * each subscription's backlog bound) and they are lost when the backlog overflows, without the client
 * being told. Here messages go to the socket at once (those of one turn of the event loop in one write, and
 * at most MESSAGES_PER_TURN before other work gets a turn); what the client has not read yet shows in the
 * socket's `bufferedAmount`, and past the bound the connection is closed with 4008: the client reconnects and
 * resumes with `after` from the event log.
 */
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocket, type WebSocketServer } from 'ws';
import { whenExpired } from './subscription-slots.ts';
import { writeBatch } from './write-batch.ts';
import { OperationIds } from './ws-ids.ts';

/**
 * The server's WebSocket (the WebSocketServer's `WebSocket` option): ws's own, remembering the close code
 * that ended the connection, for the logs and metrics. ws keeps only the code the peer sent back, which is
 * 1006 when a client drops without one, so graphql-ws's 4403 for a refused token would be lost. Whoever
 * closes first, graphql-ws, the gateway, ws itself (1009 for a message too large) or the client (whose code
 * ws sends back), calls close() while the socket is still open.
 */
export class GatewayWebSocket extends WebSocket {
  /** The code of the first close frame sent or echoed, or null if none was (the connection dropped). */
  closeCode: number | null = null;
  /** Who the token accepted at `connection_init` named (`anonymous` without one); null until then. */
  viewer: string | null = null;
  /**
   * The Authorization value the handshake gave the connection when `connection_init` carried none: its own
   * bearer header, or AUTH_COOKIE's cookie (auth/cookie.ts).
   */
  handshakeAuthorization: string | undefined = undefined;

  override close(code?: number, data?: string | Buffer): void {
    if (this.closeCode === null && this.readyState !== this.CLOSING && this.readyState !== this.CLOSED) this.closeCode = code ?? 1005;
    super.close(code, data);
  }
}

/** What each connection's graphql-ws context carries in `extra`. */
export interface Extra {
  readonly socket: GatewayWebSocket;
  readonly request: IncomingMessage;
}

export interface WsLimits {
  /** Time to the client's `connection_init`, in ms (WS_CONNECTION_INIT_TIMEOUT_MS). */
  connectionInitTimeoutMs: number;
  /** Bytes a connection may have waiting to be sent (WS_MAX_BUFFERED_BYTES). */
  maxBufferedBytes: number;
  /** How often the server pings, in ms; a client that does not answer within as long is cut (default 12 s). */
  keepAliveMs?: number;
  /** Hears of a connection closed by an error of the server's (1011); by default it goes to stderr. */
  onFailure?: (error: unknown) => void;
}

export const TOO_SLOW = { code: 4008, reason: 'Too slow: resume with after' } as const;
export const TOKEN_EXPIRED = { code: 4401, reason: 'Token expired' } as const;

/** Closes `socket` with 4401 when the token it was opened with expires (`exp`, epoch seconds). */
export function closeWhenTokenExpires(socket: WebSocket, expiresAt: number | null) {
  const cancel = whenExpired(expiresAt, () => socket.close(TOKEN_EXPIRED.code, TOKEN_EXPIRED.reason));
  socket.once('close', cancel);
}

/** The most messages one connection sends in a turn of the event loop before it lets other work through. */
const MESSAGES_PER_TURN = 50;

/** Serves graphql-ws on `wsServer`. `options` are graphql-ws's (its connectionInitWaitTimeout comes from `limits`). */
export function serveGraphqlWs(wsServer: WebSocketServer, options: ServerOptions<Record<string, unknown> | undefined, Extra>, limits: WsLimits) {
  const server = makeServer({ ...options, connectionInitWaitTimeout: limits.connectionInitTimeoutMs });
  const keepAliveMs = limits.keepAliveMs ?? 12_000;
  wsServer.options.handleProtocols = handleProtocols;

  wsServer.on('connection', (socket, request) => {
    const fail = (error: unknown) => {
      if (limits.onFailure) limits.onFailure(error);
      else console.error('WebSocket connection failed:', error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    // ws's own errors (WS_ERR_*: a frame too large, or not by the protocol) are the client's: ws has closed the
    // socket with the code that says so (1009, 1002), and there is nothing of ours to report.
    socket.on('error', (error: Error & { code?: string }) => {
      if (!error.code?.startsWith('WS_ERR_')) fail(error);
    });
    // The messages of a turn leave in one write (write-batch.ts), on the upgraded request's socket: the one the
    // WebSocket writes to.
    const batch = writeBatch(request.socket);
    // Each subscribe gets an id of its own, so one the client ends and reuses at once cannot strand the next.
    const ids = new OperationIds();

    // A client that stopped answering pings is cut, so its connection does not linger.
    let pongWait: NodeJS.Timeout | null = null;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);

    const opened = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          const message = ids.outgoing(data);
          if (message === null) return; // about an operation the client has completed
          const sentThisTurn = batch.add();
          socket.send(message);
          // Only what the client has not read counts, not what this turn holds back: that is sent first.
          if (socket.bufferedAmount > limits.maxBufferedBytes) batch.flush();
          if (socket.bufferedAmount > limits.maxBufferedBytes) {
            socket.close(TOO_SLOW.code, TOO_SLOW.reason);
            // The close frame waits behind what the client has not read; its subscriptions end now.
            void closed(TOO_SLOW.code, TOO_SLOW.reason);
          }
          // graphql-ws sends a subscription's next message when this resolves. A replay's stream lets the
          // event loop's other work through every 50 events (live/event-stream.ts); this bounds any other burst,
          // so it does not keep other connections (or this one's reads) waiting.
          if (sentThisTurn % MESSAGES_PER_TURN === 0) return new Promise<void>((resolve) => setImmediate(resolve));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(ids.incoming(String(data)));
            } catch (error) {
              fail(error);
            }
          }),
      },
      { socket: socket as GatewayWebSocket, request },
    );
    // Ends the connection's operations and runs graphql-ws's onClose hooks, once.
    let ending: Promise<void> | null = null;
    const closed = (code: number, reason: string) => (ending ??= opened(code, reason));

    socket.once('close', (code, reason) => {
      clearInterval(pings);
      if (pongWait) clearTimeout(pongWait);
      void closed(code, String(reason));
    });
  });

  return {
    /** Closes every connection (1001) and stops the WebSocket server. */
    dispose: async () => {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners('connection');
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
