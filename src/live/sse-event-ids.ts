/**
 * Event ids for SSE clients that resume by themselves. A browser's EventSource reconnects on its own after a
 * dropped connection, to the URL it was opened with and with a `Last-Event-ID` header carrying the `id` of
 * the last SSE message it had. So each `groupEvents` message over SSE carries its event's id as its SSE `id`
 * (when the subscription selects `id`), and `groupEvents` reads `Last-Event-ID` as its `after`
 * (schema/events.ts): an EventSource resumes where it stopped, with no gap and nothing twice, rather than
 * replaying from its URL's `after` again.
 *
 * Yoga's SSE processor writes `data: <the result's JSON>`; a result's `stringify` (graphql-jit gives each
 * one) is how it makes that JSON, so the id line is added there, after the data line of the same message.
 * Written by hand: Yoga has no option for SSE ids.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

/** The event id of a `groupEvents` result, when the subscription selected it (unaliased). */
function eventIdOf(result: Result): string | null {
  const event = (result.data as { groupEvents?: { id?: unknown } } | null | undefined)?.groupEvents;
  const id = event?.id;
  // Event ids are opaque tokens of URL-safe characters: nothing that could end the SSE line early.
  return typeof id === 'string' && /^[\w-]+$/.test(id) ? id : null;
}

export function useSseEventIds(): Plugin {
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request?.headers.get('accept')?.includes('text/event-stream')) return undefined;
      return {
        onSubscribeResult: () => ({
          onNext({ result, setResult }) {
            const id = eventIdOf(result as Result);
            if (id === null) return;
            const stringify = (result as Result).stringify ?? JSON.stringify;
            setResult({ ...result, stringify: (value: ExecutionResult) => `${stringify(value)}\nid: ${id}` } as Result);
          },
        }),
      };
    },
  };
}
