/**
 * How an SSE stream ends when its subscription did not finish for good: without the `complete` event. The
 * event tells a client the subscription is over (the README has an `EventSource` closed on it), which is
 * right after its group's deletion or its token's expiry. After a shutdown, or a cut (the subscriber fell too
 * far behind), the client should resume instead: an `EventSource` reconnects by itself, with the last id it
 * had as Last-Event-ID; another client sees the end of a stream it did not finish, and subscribes again with
 * `after`, as after a network failure.
 *
 * The response is marked (endWithoutComplete), and its write of Yoga's `complete` is dropped (src/http.ts,
 * coalesceWrites): Yoga writes it as one chunk once the subscription's iterator is done, and nothing else
 * writes such a chunk (an event is `event: next` with a `data:` line holding its result).
 */
const ENDS_WITHOUT_COMPLETE = Symbol('ends without complete');
type Marked = { [ENDS_WITHOUT_COMPLETE]?: true };

/** Marks a response (an SSE stream's; nothing else is affected) to end without its `complete` event. */
export function endWithoutComplete(res: object | null | undefined): void {
  if (res) (res as Marked)[ENDS_WITHOUT_COMPLETE] = true;
}

export function endsWithoutComplete(res: object): boolean {
  return (res as Marked)[ENDS_WITHOUT_COMPLETE] === true;
}

/** The chunks of Yoga's `complete` event (one chunk as Yoga writes it; its two lines apart, to be safe). */
const SSE_COMPLETE = new Set(['event: complete\n', 'data:\n\n', 'event: complete\ndata:\n\n']);

export function isSseComplete(chunk: unknown): boolean {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return false;
  return chunk.length <= 24 && SSE_COMPLETE.has(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'));
}
