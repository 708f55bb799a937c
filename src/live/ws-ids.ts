/**
 * The operation ids of one graphql-ws connection, as the client names them and as graphql-ws sees them.
 *
 * graphql-ws (6.x) keys a connection's operations by the client's id alone. A client may `complete` an id and
 * subscribe with it again at once; the first operation, still ending (a replay is mid-page, its stream's
 * return() is waiting), then deletes the second one's entry when it finishes, and tells the client `complete`
 * for it. The second operation is left running with no entry: the client's `complete` cannot end it, nor can
 * the socket's close, and its subscription slot (MAX_SUBSCRIPTIONS_PER_VIEWER, or an address's anonymous slots)
 * is held until the process restarts. The first one's last events also reach the client after its `complete`.
 *
 * So every `subscribe` is given an id of its own (a number, unique on the connection) before graphql-ws reads
 * it, and messages going out are given back the client's id; those of an operation the client has completed
 * (or replaced) are dropped. A `subscribe` with an id still in use keeps that id, so graphql-ws refuses it as
 * it always has (4409 Subscriber already exists).
 *
 * Written by hand: graphql-ws has no hook on its message routing, and this is what its keying lacks.
 */

/** What graphql-ws writes first in every message about an operation (JSON.stringify of `{ id, type, … }`). */
const ID_PREFIX = '{"id":"';

export class OperationIds {
  #next = 1;
  /** The client's id of each operation graphql-ws runs for it, by graphql-ws's id. */
  readonly #clientIdOf = new Map<string, string>();
  /** The operation the client's id names now, by the client's id. */
  readonly #internalOf = new Map<string, string>();

  /** Operations the client's ids name now (for tests and diagnostics). */
  get size(): number {
    return this.#internalOf.size;
  }

  /** A message from the client, as graphql-ws is to read it. Anything not a `subscribe` or `complete` is left as it is. */
  incoming(text: string): string {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return text; // graphql-ws refuses it (4400)
    }
    if (typeof message !== 'object' || message === null) return text;
    const { id, type } = message as { id?: unknown; type?: unknown };
    if (typeof id !== 'string' || (type !== 'subscribe' && type !== 'complete')) return text;
    let internal = this.#internalOf.get(id);
    if (type === 'subscribe' && internal === undefined) {
      internal = String(this.#next++);
      this.#internalOf.set(id, internal);
      this.#clientIdOf.set(internal, id);
    }
    if (type === 'complete') {
      if (internal === undefined) return text; // nothing of that id runs: graphql-ws ignores it
      this.#forget(id, internal);
    }
    return JSON.stringify({ ...(message as object), id: internal });
  }

  /**
   * A message from graphql-ws, as the client is to get it; null when it is about an operation the client has
   * completed. An operation's `complete` or `error` is its last message: its id is free again after it.
   */
  outgoing(text: string): string | null {
    if (!text.startsWith(ID_PREFIX)) return text; // connection_ack, ping, pong
    const end = text.indexOf('"', ID_PREFIX.length);
    const internal = text.slice(ID_PREFIX.length, end);
    const id = this.#clientIdOf.get(internal);
    if (id === undefined) return null;
    const rest = text.slice(end + 1);
    if (rest.startsWith(',"type":"complete"') || rest.startsWith(',"type":"error"')) this.#forget(id, internal);
    return `{"id":${JSON.stringify(id)}${rest}`;
  }

  #forget(id: string, internal: string) {
    this.#clientIdOf.delete(internal);
    if (this.#internalOf.get(id) === internal) this.#internalOf.delete(id);
  }
}
