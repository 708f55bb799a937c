/**
 * A subscription over HTTP whose answer Yoga cannot give (the client accepts neither `text/event-stream`
 * nor anything else that carries a stream: HTTP 406) has already started by then: it holds a live listener
 * and one of its viewer's subscription slots. Yoga drops the stream without ending it, so every such request
 * kept both for good (20 of them locked a member out of live events; anonymous ones grew the heap). This
 * plugin, the last to see the result, ends a stream no result processor took.
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

export function useEndRefusedStreams(): Plugin {
  return {
    onResultProcess({ result, resultProcessor }) {
      if (resultProcessor || !isAsyncIterable(result)) return;
      void result[Symbol.asyncIterator]().return?.();
    },
  };
}
