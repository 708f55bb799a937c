/**
 * The caches of parsed documents Yoga keeps (src/document-cache.ts): bounded by the documents' text as well as
 * by their number, so that a few very large documents cannot fill the process.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { cacheByTextSize, documentCaches, DOCUMENT_CACHE_TEXT_BYTES } from '../src/document-cache.ts';

const documentOf = (n: number, length: number) => {
  const head = `{ __typename } # ${n} `;
  return head + 'x'.repeat(length - head.length);
};

describe('document caches', () => {
  it('keep at most their size of text, the least recently used dropped first', () => {
    const cache = cacheByTextSize<object>(1_000);
    for (const n of [1, 2]) cache.set(documentOf(n, 400), parse(documentOf(n, 400)));
    expect(cache.get(documentOf(1, 400))).toBeDefined(); // 1 is now the most recently used
    cache.set(documentOf(3, 400), parse(documentOf(3, 400)));
    expect([1, 2, 3].map((n) => cache.has(documentOf(n, 400)))).toEqual([true, false, true]);
    // A document larger than the whole cache is not kept, and drops nothing.
    cache.set(documentOf(4, 2_000), parse(documentOf(4, 2_000)));
    expect([1, 3, 4].map((n) => cache.has(documentOf(n, n === 4 ? 2_000 : 400)))).toEqual([true, true, false]);
  });

  it('keep at most 1,024 small documents', () => {
    const cache = cacheByTextSize<object>(DOCUMENT_CACHE_TEXT_BYTES);
    for (let n = 0; n < 1_100; n++) cache.set(documentOf(n, 40), {});
    expect(cache.size).toBe(1_024);
    expect(cache.has(documentOf(0, 40))).toBe(false);
    expect(cache.has(documentOf(1_099, 40))).toBe(true);
  });

  it('hold no more than 2 MiB of documents of 900 kB each: two', () => {
    const { documentCache } = documentCaches();
    const parsed = parse('{ __typename }');
    for (let n = 0; n < 10; n++) documentCache.set(documentOf(n, 900_000), parsed);
    expect(documentCache.size).toBe(2);
    expect(documentCache.calculatedSize).toBeLessThanOrEqual(DOCUMENT_CACHE_TEXT_BYTES);
  });
});
