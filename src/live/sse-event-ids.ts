/**
 * Event ids for SSE clients that resume by themselves. A browser's EventSource reconnects on its own after a
 * dropped connection, to the URL it was opened with and with a `Last-Event-ID` header carrying the `id` of
 * the last SSE message it had. So each `groupEvents` message over SSE carries its event's id as its SSE `id`
 * (when the subscription selects `id`, under that name), and `groupEvents` reads `Last-Event-ID` as its `after`
 * (schema/events.ts): an EventSource resumes where it stopped, with no gap and nothing twice, rather than
 * replaying from its URL's `after` again.
 *
 * Yoga's SSE processor writes `data: <the result's JSON>`; a result's `stringify` (graphql-jit gives each
 * one) is how it makes that JSON, so the id line is added there, after the data line of the same message.
 * Written by hand: Yoga has no option for SSE ids.
 */
import { getOperationAST, Kind, type DocumentNode, type ExecutionResult, type FieldNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

/** The event id of a `groupEvents` result, when the subscription selected it (unaliased). */
function eventIdOf(result: Result): string | null {
  const event = (result.data as { groupEvents?: { id?: unknown } } | null | undefined)?.groupEvents;
  const id = event?.id;
  // Event ids are opaque tokens of URL-safe characters: nothing that could end the SSE line early.
  return typeof id === 'string' && /^[\w-]+$/.test(id) ? id : null;
}

/**
 * Whether `data.groupEvents.id` of this operation's results is the event id: `groupEvents` and its `id`
 * selected under their own names (another field aliased `id` beside the real one would not validate).
 */
function selectsEventId(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation?.selectionSet.selections.find(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === 'groupEvents' && !selection.alias,
  );
  return (
    root?.selectionSet?.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === 'id' && !selection.alias) ??
    false
  );
}

export function useSseEventIds(): Plugin {
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request?.headers.get('accept')?.includes('text/event-stream')) return undefined;
      if (!selectsEventId(args.document, args.operationName)) return undefined;
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
