/**
 * The ids clients see for the event log's events: opaque tokens, not the log's row numbers.
 *
 * The log numbers its events in one sequence for all groups. Shown as they are, a subscriber would see the
 * numbers it skipped, events of groups it may not see, and, with the `recentActivityAt` of the groups it
 * can see, tell that a secret group exists and when it changes (API.md: nothing in any response may tell
 * it). So each number is encrypted, as one AES block under a key derived from the signing secret: a
 * pseudo-random permutation, so tokens are unique and tell nothing of their order or of their distance.
 * The block holds the number and eight zero bytes, which a token made up or damaged by a client fails to
 * decrypt to (one chance in 2^64), so `after` refuses it. Instances that share JWT_SECRET share the ids;
 * changing the secret makes the ids handed out before it unusable as `after` (a client then starts anew).
 *
 * Written by hand on node:crypto: the libraries that shorten ids (Sqids, Hashids) say themselves that they
 * are not encryption, and their ids keep the order and the gaps.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

/** `after: "0"`: from the start of the log (the whole history the viewer may receive). */
export const LOG_START = '0';

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

export class EventIds {
  /**
   * One cipher (and one decipher) for every id. In ECB mode without padding each 16-byte block stands alone:
   * update() of one block returns its whole result at once and leaves nothing behind, so the same cipher
   * serves the next id and never needs final(). Making a cipher per id cost more than the encryption (a
   * replay encrypts an id per event).
   */
  private readonly cipher: ReturnType<typeof createCipheriv>;
  private readonly decipher: ReturnType<typeof createDecipheriv>;
  /** An event row is delivered to many subscribers, each resolving its id: encrypt it once. */
  private readonly encoded = new WeakMap<object, string>();

  constructor(secret: string) {
    const key = Buffer.from(hkdfSync('sha256', secret, 'groups-gateway', 'event ids', 32));
    this.cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    this.decipher = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  }

  /** The client's id of log number `id`. */
  encode(id: number): string {
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(id), 0);
    return this.cipher.update(block).toString('base64url');
  }

  /** The id of one event row, encrypted once however many subscribers read it. */
  of(event: { id: number }): string {
    let found = this.encoded.get(event);
    if (found === undefined) {
      found = this.encode(event.id);
      this.encoded.set(event, found);
    }
    return found;
  }

  /**
   * Encrypts the ids of a page of rows at once (a replay's page), for `of` to find: one cipher call for the
   * page's blocks instead of one per row, which cost more than encrypting the block.
   */
  encodePage(events: readonly { id: number }[]): void {
    if (events.length === 0) return;
    const blocks = Buffer.alloc(16 * events.length);
    for (let i = 0; i < events.length; i++) blocks.writeBigUInt64BE(BigInt(events[i].id), 16 * i);
    const encrypted = this.cipher.update(blocks);
    for (let i = 0; i < events.length; i++) {
      this.encoded.set(events[i], encrypted.toString('base64url', 16 * i, 16 * i + 16));
    }
  }

  /** The log number of a client's id (0 for LOG_START), or null when it is not one of ours. */
  decode(token: string): number | null {
    if (token === LOG_START) return 0;
    if (!TOKEN.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== 16 || bytes.toString('base64url') !== token) return null; // one spelling per id
    const block = this.decipher.update(bytes);
    if (block.readBigUInt64BE(8) !== 0n) return null;
    const id = block.readBigUInt64BE(0);
    return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : null;
  }
}
