/**
 * Event ids for SSE clients that resume by themselves. A browser's EventSource reconnects on its own after a
 * dropped connection, to the URL it was opened with and with a `Last-Event-ID` header carrying the `id` of
 * the last SSE message it had. So each `groupEvents` message over SSE carries its event's id as its SSE `id`
 * (when the subscription selects `id`: under any alias, in a fragment or not), and `groupEvents` reads `Last-Event-ID` as its `after`
 * (schema/events.ts): an EventSource resumes where it stopped, with no gap and nothing twice, rather than
 * replaying from its URL's `after` again.
 *
 * Yoga's SSE processor writes `data: <the result's JSON>`; a result's `stringify` (graphql-jit gives each
 * one) is how it makes that JSON, so the id line is added there, after the data line of the same message.
 * Written by hand: Yoga has no option for SSE ids.
 */
import {
  getOperationAST,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Result = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

/** Where a subscription's results hold the event id: `data[root][id]`, by the response keys it chose. */
interface IdPath {
  root: string;
  id: string;
}

/** The event id of a `groupEvents` result at `path`, when it is there. */
function eventIdOf(result: Result, path: IdPath): string | null {
  const event = (result.data as Record<string, { [key: string]: unknown } | null | undefined> | null | undefined)?.[path.root];
  const id = event?.[path.id];
  // Event ids are opaque tokens of URL-safe characters: nothing that could end the SSE line early.
  return typeof id === 'string' && /^[\w-]+$/.test(id) ? id : null;
}

/**
 * The first field named `name` in a selection set, looking into inline fragments and
 * fragment spreads as execution does (clients built on fragments, Apollo's and Relay's among them, select
 * `id` inside one). Fields of one response key are merged by validation, so the first found is the one.
 */
export function fieldNamed(
  selections: readonly SelectionNode[],
  name: string,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): FieldNode | null {
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name) return selection;
      continue;
    }
    let inner: readonly SelectionNode[] | undefined;
    if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet.selections;
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      inner = fragments.get(selection.name.value)?.selectionSet.selections;
    }
    const found = inner && fieldNamed(inner, name, fragments, seen);
    if (found) return found;
  }
  return null;
}

/** Where this operation's results hold `groupEvents`' event id, whatever the aliases; null when it selects none. */
function eventIdPath(document: DocumentNode, operationName: string | null | undefined): IdPath | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = fieldNamed(operation.selectionSet.selections, 'groupEvents', fragments);
  const id = root?.selectionSet && fieldNamed(root.selectionSet.selections, 'id', fragments);
  return root && id ? { root: (root.alias ?? root.name).value, id: (id.alias ?? id.name).value } : null;
}

export function useSseEventIds(): Plugin {
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request?.headers.get('accept')?.includes('text/event-stream')) return undefined;
      const path = eventIdPath(args.document, args.operationName);
      if (!path) return undefined;
      return {
        onSubscribeResult: () => ({
          onNext({ result, setResult }) {
            const id = eventIdOf(result as Result, path);
            if (id === null) return;
            const stringify = (result as Result).stringify ?? JSON.stringify;
            setResult({ ...result, stringify: (value: ExecutionResult) => `${stringify(value)}\nid: ${id}` } as Result);
          },
        }),
      };
    },
  };
}
