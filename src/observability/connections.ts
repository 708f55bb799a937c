/**
 * What is logged and counted of the answers given before Yoga sees a request, and of WebSocket connections:
 *
 * - an HTTP request refused by src/http.ts before Yoga reads it: one Node could not read (headers over 16 KB:
 *   431; malformed: 400; too slow: 408), one whose Host and target make no URL (400), one whose body is
 *   compressed or not in UTF-8 (415);
 * - a WebSocket handshake refused (over MAX_WS_CONNECTIONS_PER_ADDRESS: 429, live/connection-cap.ts);
 * - a WebSocket connection's end, with the close code that ended it: 4403 for a token refused at
 *   `connection_init`, 4408 for no `connection_init` in time, 4401 for an expired token, 4008 for a reader
 *   too slow, 1001 at shutdown, 1000 and the like from clients (live/ws.ts lists them);
 * - an SSE or multipart stream cut because its client stopped reading (live/stalled-streams.ts).
 *
 * - a graphql-ws operation refused after validation, before it ran (no operation by the name given).
 *
 * The two refusals are `request` lines like any other, and count in `gateway_http_requests_total`
 * (the route and method of a request Node could not read are `unknown`: it gave up before reading them). A connection's
 * end is a `connection closed` line, and counts in:
 *
 *   gateway_ws_connections                       open WebSocket connections
 *   gateway_ws_connections_closed_total{code}    WebSocket connections ended, by close code
 *
 * A stream cut is a `stream cut` warning, and counts in:
 *
 *   gateway_http_streams_cut_total{transport}    SSE (`sse`) or multipart streams cut, their client not reading
 *
 * Nothing a client sends is logged: not the close reason (a client's is its own text), not the address.
 */
import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.ts';
import { cleanOperationName, pathOf } from './operation.ts';

export interface ConnectionObserver {
  /**
   * A request was refused before Yoga read it, with `status`. Its method and target are null when Node could
   * not read them.
   */
  requestRefused(status: number, method: string | null, url: string | null): void;
  /** A WebSocket handshake to `url` (the request's path and query) was refused with `status`. */
  handshakeRefused(url: string, status: number): void;
  /**
   * A graphql-ws operation refused after validation and before it ran, with `code` (src/http.ts: the document
   * has no operation by that name, or several and no name): an `operation` line, and its error counted.
   */
  wsOperationRefused(operationName: string | null | undefined, code: string, viewer: string | null): void;
  /** A WebSocket connection opened: call the returned function once it has closed. */
  wsOpened(): (closed: WsClosed) => void;
  /** An event stream over HTTP was cut: its client had stopped reading (live/stalled-streams.ts). */
  streamCut(transport: 'sse' | 'multipart', path: string | null): void;
}

export interface WsClosed {
  /** The close code that ended it (live/ws.ts, GatewayWebSocket.closeCode). */
  code: number;
  /** Who its token named (`anonymous` without one), or null when no token was accepted. */
  viewer: string | null;
}

/**
 * The close codes counted by their number (RFC 6455's, and those graphql-ws and the gateway send); any
 * other a client sends counts as `other`, so clients cannot grow the label set.
 */
const KNOWN_CODES = new Set([
  1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 4008, 4400, 4401, 4403,
  4406, 4408, 4409, 4429, 4499, 4500,
]);
/** Closes that say something is wrong on the server's side, logged as warnings. */
const SERVER_TROUBLE = new Set([1011, 1013, 4500]);

const round = (ms: number) => Math.round(ms * 10) / 10;

export function connectionObserver(logger: Logger, metrics: Metrics | null): ConnectionObserver {
  const open = metrics && new Gauge({ name: 'gateway_ws_connections', help: 'Open WebSocket connections', registers: [metrics.registry] });
  open?.set(0);
  const closed =
    metrics &&
    new Counter({
      name: 'gateway_ws_connections_closed_total',
      help: 'WebSocket connections ended, by the close code that ended them (other: a code no one here sends)',
      labelNames: ['code'] as const,
      registers: [metrics.registry],
    });
  const cut =
    metrics &&
    new Counter({
      name: 'gateway_http_streams_cut_total',
      help: 'SSE and multipart streams cut because their client had stopped reading, by transport',
      labelNames: ['transport'] as const,
      registers: [metrics.registry],
    });
  cut?.inc({ transport: 'sse' }, 0);
  cut?.inc({ transport: 'multipart' }, 0);

  const refused = (transport: 'http' | 'ws', method: string | null, path: string | null, status: number, errorCodes: string[]) => {
    metrics?.countHttpRequest(path, method, status);
    logger.info(
      { requestId: randomUUID(), transport, method, path, status, durationMs: 0, viewer: null, operationName: null, operationType: null, errorCodes },
      'request',
    );
  };

  return {
    // Its answer's body is a GraphQL error (src/http.ts); a refused handshake's is a line of text.
    requestRefused: (status, method, url) => refused('http', method, url === null ? null : pathOf(url), status, ['BAD_USER_INPUT']),
    handshakeRefused: (url, status) => refused('ws', 'GET', pathOf(url), status, []),
    wsOperationRefused(operationName, code, viewer) {
      metrics?.countError(code, operationName);
      logger.info(
        {
          requestId: randomUUID(),
          transport: 'ws',
          durationMs: 0,
          viewer: viewer ?? 'unverified',
          operationName: cleanOperationName(operationName),
          operationType: null,
          errorCodes: [code],
        },
        'operation',
      );
    },
    wsOpened() {
      const openedAt = performance.now();
      open?.inc();
      return ({ code, viewer }) => {
        open?.dec();
        closed?.inc({ code: KNOWN_CODES.has(code) ? String(code) : 'other' });
        logger[SERVER_TROUBLE.has(code) ? 'warn' : 'info'](
          { transport: 'ws', code, durationMs: round(performance.now() - openedAt), viewer: viewer ?? 'unverified' },
          'connection closed',
        );
      };
    },
    streamCut(transport, path) {
      cut?.inc({ transport });
      logger.warn({ transport, path }, 'stream cut: its client had stopped reading');
    },
  };
}
