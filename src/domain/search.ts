/**
 * The searchable form of a name, stored in Group.nameSearch and MemberName.nameSearch and applied to search
 * terms alike. Group names also sort by it (`NAME`), and a member's pending create requests compare names by it.
 *
 * - Case folded, so a plain LIKE is case-insensitive on every database and in any script: upper-cased, then
 *   lower-cased, which folds what lower-casing alone leaves apart (`ß` and `ss`, `ﬁ` and `fi`). Greek's final
 *   sigma is made its sigma: lower-casing picks `ς` or `σ` by the letter's place in the text, and a search
 *   term ends where the name does not.
 * - Compatibility forms made plain (NFKD: full-width `Ｙｏｇａ`, ligatures, superscripts), and the
 *   accents of the Combining Diacritical Marks block dropped: `José` is `jose`, `Ünal` is `unal`, and a name
 *   typed with a combining accent is the same as one typed precomposed. Marks of other blocks (Devanagari
 *   vowel signs, the Japanese voicing mark, Arabic and Hebrew vowel points) are parts of letters there and
 *   stay; NFC then puts the remaining letters back together (Hangul syllables), so keys read as text.
 * - The Latin letters that still are not ASCII, having no accent to strip, spelled in ASCII by any-ascii, as
 *   slugs spell them: `Łódź` is `lodz`, `Øster` is `oster`, `Æble` is `aeble`, `Þór` is `thor`, `ẞ` is `ss`.
 *   Only Latin letters: other scripts keep their own letters (`瑜伽` does not become `yujia`, which `uji`
 *   would then find, nor `Йога` `yoga`).
 * - LIKE's special characters (`%`, `_`, and `\`, PostgreSQL's default escape) replaced by look-alike
 *   full-width characters, last (NFKD would turn them back): Prisma's `contains` becomes `LIKE` without
 *   escaping them (prisma/prisma#19506), and SQLite's LIKE has no default escape character, so mapping them
 *   away is the one way that works the same on both databases.
 *
 * - At most MAX_KEY characters.
 *
 * Written with the built-in String.prototype.normalize, and any-ascii for the Latin letters alone: applied to
 * the whole text, a transliterating library would make `瑜伽` match `uji`.
 *
 * Changing this function changes keys already stored: bump SEARCH_KEY_VERSION, and the gateway brings them
 * up to date when it starts (db/search-keys.ts).
 */
import anyAscii from 'any-ascii';

/**
 * The most characters a key keeps. Decomposition lengthens a few characters many times (`ﷺ` is 18 letters),
 * and a name's key travels in the cursors of the NAME sort, which have a size limit (schema/pagination.ts):
 * a key is cut here, far beyond what any name of LIMITS.name characters needs but a handful of those.
 */
const MAX_KEY = 300;

/** A Latin letter that is not ASCII once cased and stripped of its accents (`ł`, `ø`, `æ`, `þ`, `ß`). */
const LATIN_NOT_ASCII = /(?![a-z])\p{Script=Latin}/gu;
const spellLatin = (letter: string) => anyAscii(letter).toLowerCase();

export function searchKey(text: string): string {
  const key = text
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .normalize('NFC')
    .replace(/ς/g, 'σ')
    .replace(LATIN_NOT_ASCII, spellLatin)
    .replace(/%/g, '\uFF05')
    .replace(/_/g, '\uFF3F')
    .replace(/\\/g, '\uFF3C');
  return key.length <= MAX_KEY ? key : Array.from(key).slice(0, MAX_KEY).join('');
}

/**
 * The name under which the stored keys are recorded as made by this searchKey (the DataMigration table).
 * Version 1 was lower case and LIKE's characters only; version 2 did not spell Latin letters in ASCII.
 */
export const SEARCH_KEY_VERSION = 'search-keys-3';
