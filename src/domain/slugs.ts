/**
 * Group slugs: URL-safe, unique, derived from the name (`yoga-class`, `yoga-class-2`). Names in other
 * scripts are transliterated to ASCII (`Клуб бега` → `klub-bega`, `瑜伽` → `yujia`); a name with nothing
 * left to spell (only emoji or punctuation) gets `group`.
 *
 * Numbered slugs are picked by looking at the slugs that exist, which would tell a creator that a hidden
 * group holds `yoga-class`. So secret groups never take a plain or numbered slug: theirs end in a random
 * suffix that starts with a letter, after a double hyphen (`yoga-class--k3x9q2`). A slug made from a name
 * never holds a double hyphen (slugBase makes every run of other characters one hyphen), so no visible
 * group's slug, plain or numbered, can ever meet a secret one: its numbering never depends on a secret
 * group's existence, even for a creator who knows the secret slug (a former member) and names a group
 * after it.
 */
import { createHash, randomBytes } from 'node:crypto';
import anyAscii from 'any-ascii';
import type { GroupPrivacy } from '../generated/prisma/enums.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Write } from './transaction.ts';

const MAX_BASE = 60;

/** A letter or digit of a script other than Latin (`Й`, `瑜`, `٣`), whatever marks it carries. */
const OTHER_SCRIPT = /^[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}\x00-\x7f]/u;

/** ASCII for letters: any-ascii's, less the apostrophes some romanizations put inside a word (`ъ`, `ء`). */
const spell = (letters: string) => anyAscii(letters).replace(/['"`]/g, '');

/**
 * The URL-safe base of a slug: `[a-z0-9]` runs joined by single hyphens, at most MAX_BASE characters, never
 * ending in a hyphen. Letters of other scripts are transliterated (`Йога` → `yoga`), accents stripped, the
 * Latin letters that have no accent to strip transliterated too (`ß` → `ss`), lower case, and every run of
 * other characters (spaces, punctuation, symbols, emoji) made one hyphen; `group` when nothing is left.
 *
 * A name whose letters are ASCII once their accents are stripped keeps the slug it always had (`Café Crème`
 * → `cafe-creme`): no letter of another script was ever stripped down to ASCII, so spelling those first
 * changes nothing for Latin names, and symbols and emoji stay separators (`Ich ♥ Yoga` → `ich-yoga`, not
 * `ich-hearts-yoga`). Other scripts go first so that their own diacritics are read, not stripped: `Й` is
 * `y`, not the `i` that stripping its breve would leave.
 */
export function slugBase(name: string): string {
  const base = name
    // Compatibility forms first, so that what is spelled is whole (halfwidth `ｶﾞ` is `ガ`, `㌀` is `アパート`).
    .normalize('NFKC')
    .replace(/[\p{L}\p{N}]\p{M}*/gu, (letter) => (OTHER_SCRIPT.test(letter) ? spell(letter) : letter))
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}\x00-\x7f]+/gu, '-')
    .replace(/[^\x00-\x7f]+/gu, spell)
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

/** The key space of the slug locks (PostgreSQL's two-key advisory locks, apart from the one-key event log lock). */
const SLUG_LOCKS = 4_783_202;

/** A base's lock key: 32 bits of its SHA-256 (two bases that share a key only wait for each other). */
const slugLockKey = (base: string) => createHash('sha256').update(base).digest().readInt32BE(0);

/**
 * Slugs for new groups, one per entry, free at the time of reading and distinct from each other (two
 * requests for "Chess" approved together get `chess` and `chess-2`), in one read whatever the number of
 * entries.
 *
 * On PostgreSQL, writers of the same base take turns first (an advisory lock per base, held to the commit,
 * taken in key order in one statement, so two writers never wait on each other both ways). Without it, writers
 * reading at once all chose the same free slug, and all but one failed the unique index: the retry
 * (withSlugRetry) ran them again to the same end, and six creators of one name at once left some with an
 * internal error. SQLite runs one write at a time. The unique index still has the last word, and callers still
 * retry on its violation.
 */
export async function chooseSlugs(w: Pick<Write, 'tx' | 'postgres'>, groups: readonly { name: string; privacy: GroupPrivacy }[]): Promise<string[]> {
  const { tx } = w;
  const bases = groups.map((group) => slugBase(group.name));
  const visible = [...new Set(bases.filter((_, i) => groups[i].privacy !== 'SECRET'))];
  const taken = new Set<string>();
  if (visible.length > 0 && w.postgres) {
    const keys = [...new Set(visible.map(slugLockKey))].sort((a, b) => a - b);
    await tx.$queryRaw`SELECT count(pg_advisory_xact_lock(${SLUG_LOCKS}::int, "k")) AS "locked"
      FROM (SELECT "k" FROM (VALUES ${Prisma.join(keys.map((key) => Prisma.sql`(${key}::int)`))}) AS "v" ("k") ORDER BY "k") AS "s"`;
  }
  if (visible.length > 0) {
    const rows = await tx.group.findMany({ where: { OR: visible.map((base) => ({ slug: { startsWith: base } })) }, select: { slug: true } });
    for (const row of rows) taken.add(row.slug);
  }
  return groups.map((group, i) => {
    const base = bases[i];
    if (group.privacy === 'SECRET') return `${base}--${randomSuffix()}`;
    let slug = base;
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
    taken.add(slug);
    return slug;
  });
}

/** chooseSlugs for one new group. */
export async function chooseSlug(w: Pick<Write, 'tx' | 'postgres'>, name: string, privacy: GroupPrivacy): Promise<string> {
  const [slug] = await chooseSlugs(w, [{ name, privacy }]);
  return slug;
}
