/**
 * WebSocket connections per client address (MAX_WS_CONNECTIONS_PER_ADDRESS). A WebSocket that has sent
 * `connection_init` may stay open with no subscription at all, anonymously, and every one holds memory and a
 * file descriptor: without a cap, one host could open them until the process runs out. Subscriptions have
 * caps of their own (subscription-slots.ts); this one is on the connections. Counted per instance, by the
 * same address the rate limit and the anonymous subscription cap use (limits.ts: under TRUST_PROXY, the
 * address the proxy saw).
 *
 * Written by hand: ws has no per-address limit, and what it needs is a counter per address, released when
 * the socket closes.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { clientAddress } from '../limits.ts';

/** How long a refused client is asked to wait before connecting again. */
export const RETRY_AFTER_SECONDS = 30;

export class ConnectionsPerAddress {
  readonly #open = new Map<string, number>();

  /** `max`: connections one address may hold at once; 0 is no cap. `refused` hears of each handshake refused. */
  constructor(
    readonly max: number,
    readonly trustProxy: boolean,
    readonly refused: (req: IncomingMessage, status: number) => void = () => {},
  ) {}

  /** Whether a new connection with this upgrade request is within its address's cap. */
  admits(req: IncomingMessage): boolean {
    return this.max === 0 || (this.#open.get(this.#address(req)) ?? 0) < this.max;
  }

  /** Counts an accepted connection until its socket closes. */
  opened(socket: WebSocket, req: IncomingMessage): void {
    const address = this.#address(req);
    this.#open.set(address, (this.#open.get(address) ?? 0) + 1);
    socket.once('close', () => {
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left > 0) this.#open.set(address, left);
      else this.#open.delete(address); // the map holds only addresses with connections open
    });
  }

  /**
   * ws's `verifyClient`: a handshake over the cap is refused with HTTP 429 and Retry-After, before the
   * upgrade (graphql-ws clients retry it as they retry a network failure).
   */
  readonly verifyClient = (
    info: { req: IncomingMessage },
    done: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void,
  ): void => {
    if (this.admits(info.req)) return done(true);
    this.refused(info.req, 429);
    done(false, 429, 'Too many connections from this address', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  };

  /**
   * Counts `server`'s connections. ws emits `connection` in the same turn as the handshake verifyClient
   * accepted (it answers at once), so two handshakes cannot both pass on the same last place.
   */
  track(server: WebSocketServer): void {
    server.on('connection', (socket, req) => this.opened(socket, req));
  }

  #address(req: IncomingMessage): string {
    return clientAddress({ req }, this.trustProxy);
  }
}
