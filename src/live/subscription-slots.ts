/**
 * Limits of live subscriptions that do not depend on the transport: how many one viewer may hold at once,
 * and the end of a subscription (or connection) when the viewer's token expires.
 */

/** Counts the live subscriptions each owner (a viewer, or an anonymous connection) holds on this instance. */
export class SubscriptionSlots {
  private readonly held = new Map<unknown, number>();

  /**
   * Takes one of `owner`'s `limit` slots. Returns the function that gives it back (once; later calls do
   * nothing), or null when all are taken.
   */
  take(owner: unknown, limit: number): (() => void) | null {
    const count = this.held.get(owner) ?? 0;
    if (count >= limit) return null;
    this.held.set(owner, count + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.held.get(owner) ?? 1) - 1;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
    };
  }

  /** Slots `owner` holds now. */
  count(owner: unknown): number {
    return this.held.get(owner) ?? 0;
  }
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); longer waits are taken in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onExpired` once the token's expiry (`exp`, epoch seconds) has passed; never when there is none.
 * Returns the function that cancels it.
 */
export function whenExpired(expiresAt: number | null, onExpired: () => void): () => void {
  if (expiresAt === null) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  // Always on a timer, even when already past: callers finish setting up before it runs.
  const arm = () => {
    const left = expiresAt * 1000 - Date.now();
    timer = setTimeout(left > LONGEST_TIMER_MS ? arm : onExpired, Math.max(0, Math.min(left, LONGEST_TIMER_MS)));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
