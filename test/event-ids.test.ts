/** The event ids clients see (src/live/event-ids.ts): opaque, one per log number, and refused when forged. */
import { createCipheriv, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EventIds, LOG_START } from '../src/live/event-ids.ts';

const ids = new EventIds('a secret');

describe('EventIds', () => {
  it('round-trips every log number, each to its own 22-character token', () => {
    const numbers = [1, 2, 3, 1_000, 2 ** 31, Number.MAX_SAFE_INTEGER];
    const tokens = numbers.map((n) => ids.encode(n));
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(tokens).size).toBe(numbers.length);
    expect(tokens.map((t) => ids.decode(t))).toEqual(numbers);
  });

  it('tells nothing of order or distance: neighbouring numbers share no prefix and sort at random', () => {
    const tokens = Array.from({ length: 200 }, (_, i) => ids.encode(i + 1));
    const ascending = tokens.filter((t, i) => i > 0 && t > tokens[i - 1]).length;
    expect(ascending).toBeGreaterThan(60); // an order-keeping encoding would give 199
    expect(ascending).toBeLessThan(140);
    expect(new Set(tokens.map((t) => t.slice(0, 4))).size).toBeGreaterThan(190);
  });

  it('"0" is the start of the log', () => {
    expect(ids.decode(LOG_START)).toBe(0);
  });

  it('refuses what it did not make: numbers, other secrets, altered or re-spelled tokens', () => {
    const token = ids.encode(42);
    const altered = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
    for (const forged of ['42', '-1', '', 'x'.repeat(22), new EventIds('another secret').encode(42), altered, token + 'A']) {
      expect(ids.decode(forged)).toBeNull();
    }
    // The last character carries 2 bits of the block and 4 unused ones: another spelling of the same bytes.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = token.slice(0, -1) + ALPHABET[ALPHABET.indexOf(token.at(-1)!) | 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(token, 'base64url'));
    expect(ids.decode(respelled)).toBeNull();
  });

  it('gives each number one token whatever came before: ids handed out earlier stay valid', () => {
    // The token is one AES-256 block (the number, then eight zero bytes) under the HKDF key, made by a new
    // cipher each time here: the gateway's long-lived cipher must give the same bytes after any other use.
    const key = Buffer.from(hkdfSync('sha256', 'a secret', 'groups-gateway', 'event ids', 32));
    const oneShot = (n: number) => {
      const block = Buffer.alloc(16);
      block.writeBigUInt64BE(BigInt(n), 0);
      const cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
    };
    const numbers = [5, 1, 5, 2 ** 40 + 3, 5, 99];
    for (const n of numbers) {
      expect(ids.decode('x'.repeat(22))).toBeNull(); // a refused token in between leaves nothing behind
      expect(ids.encode(n)).toBe(oneShot(n));
      expect(ids.decode(oneShot(n))).toBe(n);
    }
  });

  it('encrypts a shared event row once, however many subscribers read its id', () => {
    const row = { id: 7 };
    expect(ids.of(row)).toBe(ids.encode(7));
    expect(ids.of(row)).toBe(ids.of(row));
  });

  it('encrypts a page of rows in one call to the same ids, one by one, and leaves the cipher as it was', () => {
    const page = [3, 1, 2 ** 40 + 3, 3, 500_000].map((id) => ({ id }));
    ids.encodePage(page);
    ids.encodePage([]);
    expect(page.map((row) => ids.of(row))).toEqual(page.map((row) => ids.encode(row.id)));
    expect(page.map((row) => ids.decode(ids.of(row)))).toEqual(page.map((row) => row.id));
    expect(ids.encode(9)).toBe(new EventIds('a secret').encode(9)); // nothing of the page is left in the cipher
  });
});
