/**
 * Sends what a live connection writes in one turn of the event loop in one system call. Yoga writes each SSE
 * event as its own chunk of the response, and `ws` each message as its own frame; an uncorked socket hands
 * each to the kernel at once, and a replay of thousands of events spent a third to two-fifths of its time
 * there (bench/README.md, round 24). The first write of a turn corks the socket, and the turn's end
 * (setImmediate) uncorks it: the events of a turn leave together, and a live event waits for no more than the
 * rest of its turn. Corks nest, so a writer's own cork and uncork around one message (ws does so for a
 * frame's header and data) then only count. By hand: neither Node, Yoga nor ws has an option for it.
 */
export interface WriteBatch {
  /** Call before each write: corks the first of a turn. Returns the writes of this turn, this one included. */
  add(): number;
  /** Sends what this turn has held back now (the turn's later writes are held again). */
  flush(): void;
}

export function writeBatch(target: { cork(): void; uncork(): void }): WriteBatch {
  let corked = false;
  let written = 0;
  const flush = () => {
    if (!corked) return;
    corked = false;
    target.uncork();
  };
  const endTurn = () => {
    written = 0;
    flush();
  };
  return {
    add() {
      if (written === 0) setImmediate(endTurn);
      if (!corked) {
        corked = true;
        target.cork();
      }
      return ++written;
    },
    flush,
  };
}
