/**
 * Automatic persisted queries, as Apollo Client's persisted-queries link and urql's persistedExchange send
 * them: a request carries `extensions.persistedQuery = { version: 1, sha256Hash }` and no document; the
 * gateway runs the document it keeps under that hash, or answers `PersistedQueryNotFound`, and the client
 * sends the document with its hash once, which is checked and kept. A document is a document: it is run as
 * whoever sends the hash, with every permission and limit as if it had been sent in full.
 *
 * The documents are kept in this process, in an LRU store bounded by their total size
 * (PERSISTED_QUERIES_MAX_BYTES), so that no client can grow the process by sending documents. Instances do not
 * share them: a client whose hash another instance has not seen is told so once and sends the document again.
 *
 * Written here rather than with @graphql-yoga/plugin-apq (60 lines, the same protocol): that package's peer
 * dependency on @graphql-tools/utils 10 conflicts with the 8.x that graphql-shield's graphql-middleware
 * brings, so npm refuses to install it; its store is bounded by a number of documents, not by their size;
 * and the direct POST path (src/graphql-post.ts) needs to read the same store, so that a request sent as a
 * hash is as fast as one sent in full.
 */
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/** The documents kept, by the lowercase hexadecimal SHA-256 of their text. */
export interface PersistedQueries {
  /** The document kept under `hash`, if any (a lookup makes it the most recently used). */
  get(hash: string): string | undefined;
  /** Keeps `query` under its own hash; false when the hash given is not the document's. */
  add(hash: string, query: string): boolean;
}

/** A text's SHA-256, in lowercase hexadecimal, as the protocol names documents. */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash of a request's APQ extension (version 1, a string hash), in lowercase; null without one. */
export function persistedQueryHash(extensions: unknown): string | null {
  const persisted = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return null;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? sha256Hash.toLowerCase() : null;
}

/** A store holding at most `maxBytes` of documents (counted as UTF-8), the least recently used dropped first. */
export function persistedQueryStore(maxBytes: number): PersistedQueries {
  const documents = new LRUCache<string, string>({
    maxSize: maxBytes,
    // The hash's 64 characters and the document; a document larger than the whole store is not kept.
    sizeCalculation: (query) => 64 + Buffer.byteLength(query),
  });
  return {
    get: (hash) => documents.get(hash),
    add(hash, query) {
      if (sha256(query) !== hash) return false;
      documents.set(hash, query);
      return true;
    },
  };
}

/** An error of the request as a whole: 400 to `application/graphql-response+json` clients, 200 to JSON ones. */
const requestError = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400, spec: true } } });

/**
 * The document a request runs: the one it sends, or the one kept under the hash it sends instead. Throws the
 * protocol's errors, in the messages Apollo Client and urql know: on `PersistedQueryNotFound` they send the
 * document, and a document sent with a hash that is not its own is `PersistedQueryMismatch`. The code is the
 * contract's BAD_USER_INPUT (API.md names no other for a request the client must send again). Without an APQ
 * extension, the request's own `query`.
 */
function documentOf(store: PersistedQueries, query: unknown, extensions: unknown): unknown {
  const hash = persistedQueryHash(extensions);
  if (hash === null) return query;
  if (query == null) {
    const kept = store.get(hash);
    if (kept === undefined) throw requestError('PersistedQueryNotFound');
    return kept;
  }
  if (typeof query === 'string' && sha256(query) !== hash) {
    throw requestError('PersistedQueryMismatch: the sha256Hash is not the hash of the query sent with it.');
  }
  return query;
}

/**
 * Yoga's path: a request sent as a hash gets its document before anything reads its parameters. A document
 * sent with its hash is kept once it has parsed and passed validation (the document limits among it), so
 * that what the store holds, and what anyone can push out of it, is only documents that could run.
 */
export function usePersistedQueries(store: PersistedQueries): Plugin {
  return {
    onParams({ params, setParams }) {
      if (params?.extensions?.persistedQuery == null) return;
      const query = documentOf(store, params.query, params.extensions);
      if (query !== params.query) setParams({ ...params, query: query as string });
    },
    onValidate({ context }) {
      const params = (context as { params?: { query?: unknown; extensions?: unknown } }).params;
      if (params?.extensions == null) return;
      const hash = persistedQueryHash(params.extensions);
      if (hash === null || typeof params.query !== 'string') return;
      const query = params.query;
      return ({ valid }) => {
        if (valid && store.get(hash) === undefined) store.add(hash, query);
      };
    },
  };
}
