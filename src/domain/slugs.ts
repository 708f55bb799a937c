/**
 * Group slugs: URL-safe, unique, derived from the name (`yoga-class`, `yoga-class-2`).
 *
 * Numbered slugs are picked by looking at the slugs that exist, which would tell a creator that a hidden
 * group holds `yoga-class`. So secret groups never take a plain or numbered slug: theirs end in a random
 * suffix that starts with a letter, after a double hyphen (`yoga-class--k3x9q2`). A slug made from a name
 * never holds a double hyphen (slugBase makes every run of other characters one hyphen), so no visible
 * group's slug, plain or numbered, can ever meet a secret one: its numbering never depends on a secret
 * group's existence, even for a creator who knows the secret slug (a former member) and names a group
 * after it.
 */
import { randomBytes } from 'node:crypto';
import type { GroupPrivacy } from '../generated/prisma/enums.ts';
import type { Tx } from '../db/client.ts';

const MAX_BASE = 60;

/** The URL-safe base of a slug: accents stripped, lower case, runs of other characters made one hyphen. */
export function slugBase(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_BASE)
    .replace(/-+$/, '');
  return base || 'group';
}

function randomSuffix(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const bytes = randomBytes(6);
  let suffix = letters[bytes[0] % 26];
  for (let i = 1; i < 6; i++) suffix += (bytes[i] % 36).toString(36);
  return suffix;
}

/**
 * A slug for a new group that is free at the time of reading. The unique index still has the last word:
 * callers retry on a unique violation (two creators racing for the same name).
 */
export async function chooseSlug(tx: Tx, name: string, privacy: GroupPrivacy): Promise<string> {
  const base = slugBase(name);
  if (privacy === 'SECRET') return `${base}--${randomSuffix()}`;
  const taken = new Set(
    (await tx.group.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } })).map((g) => g.slug),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }
}
