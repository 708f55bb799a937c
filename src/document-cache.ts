/**
 * The caches of parsed documents and parse errors Yoga keeps (its `parserAndValidationCache` option),
 * bounded by the size of the documents' text as well as by their number. Yoga's own hold 1,024 of each
 * whatever their size, and a parsed document takes 50 to 90 times its text in memory: 1,024 documents of a
 * megabyte each (MAX_BODY_BYTES allows it) held gigabytes. The documents clients send are a few kilobytes,
 * so the bound is reached only by documents no client sends twice. (The validation results and graphql-jit's
 * compiled queries are kept per parsed document, weakly, so this bounds them too.)
 */
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** The text of the parsed documents kept: some 100-200 MB of syntax trees at the most. */
export const DOCUMENT_CACHE_TEXT_BYTES = 2 * 1024 * 1024;
/** The text of the parse errors kept (an error holds its document's text). */
const ERROR_CACHE_TEXT_BYTES = 1024 * 1024;
const MAX_ENTRIES = 1_024;

/** An LRU cache keyed by a document's text: at most 1,024 entries and `maxBytes` of text, least recent out first. */
export function cacheByTextSize<T extends object>(maxBytes: number): LRUCache<string, T> {
  return new LRUCache<string, T>({ max: MAX_ENTRIES, maxSize: maxBytes, sizeCalculation: (_value, key) => Math.max(1, key.length) });
}

/** Yoga's `parserAndValidationCache` option. */
export function documentCaches() {
  return {
    documentCache: cacheByTextSize<DocumentNode>(DOCUMENT_CACHE_TEXT_BYTES),
    errorCache: cacheByTextSize<object>(ERROR_CACHE_TEXT_BYTES),
  };
}
