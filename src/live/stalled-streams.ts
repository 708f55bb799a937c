/**
 * Event streams over HTTP (SSE and multipart) whose client has stopped reading. Yoga's Node adapter writes a
 * stream's events as the socket takes them (it waits for 'drain'), so such a client costs no more memory, but
 * its response and its subscription's slot would stay until it read again or went away: for good, for a
 * client that never does. A stream that has had output waiting for STREAM_STALL_TIMEOUT_MS without the socket
 * draining once is cut (its socket destroyed, which ends the subscription and gives its slot back). An
 * EventSource reconnects with Last-Event-ID and resumes where it was; other clients resume with `after`. The
 * WebSocket counterpart is the 4008 close (live/ws.ts), which goes by bytes: a WebSocket's messages are sent
 * whether or not the socket takes them, a stream's are not.
 *
 * Every 'drain' clears the mark. But a socket drains only once the operating system's send buffer has room
 * again, which Linux reports when about a third of it is free, and that buffer grows to 4 MB on a fast link:
 * with its buffer full, a client has to read about a megabyte per timeout to keep its stream. One reading a
 * long replay slower than that is cut as well, and resumes; measuring what it reads more finely would need
 * the kernel's per-socket counters, which Node does not give. A client that keeps up with its events, or
 * that reads in bursts, keeps its stream. Streams are looked at a few times per timeout rather than with a
 * timer per write, which would be armed and cleared on every event.
 * By hand: neither Node nor Yoga times out a response that waits for its reader (Node's timeouts are for
 * receiving the request, or for an idle socket, which a stream with a heartbeat never is).
 */
import type { ServerResponse } from 'node:http';

export interface StalledStreams {
  /** Watches a stream's response from now until it closes. */
  track(res: ServerResponse): void;
  /** Stops watching (at shutdown). */
  stop(): void;
}

/**
 * `timeoutMs` 0 turns the watch off. `onCut` hears each stream cut, after its socket is destroyed.
 */
export function watchStalledStreams(timeoutMs: number, onCut: (res: ServerResponse) => void): StalledStreams {
  // When each watched stream was first seen waiting for 'drain' (0: not waiting since it last drained).
  const waitingSince = new Map<ServerResponse, number>();
  let timer: NodeJS.Timeout | null = null;

  const check = () => {
    const now = Date.now();
    for (const [res, since] of waitingSince) {
      if (!res.writableNeedDrain) waitingSince.set(res, 0);
      else if (since === 0) waitingSince.set(res, now);
      else if (now - since >= timeoutMs) {
        waitingSince.delete(res);
        res.destroy();
        onCut(res);
      }
    }
    if (waitingSince.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  return {
    track(res) {
      if (timeoutMs <= 0) return;
      waitingSince.set(res, 0);
      res.on('drain', () => {
        if (waitingSince.has(res)) waitingSince.set(res, 0);
      });
      res.once('close', () => waitingSince.delete(res));
      if (!timer) {
        // Four looks per timeout: a stream is cut between 1 and 1.25 timeouts after it stopped draining.
        timer = setInterval(check, Math.max(10, Math.floor(timeoutMs / 4)));
        timer.unref();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      waitingSince.clear();
    },
  };
}
