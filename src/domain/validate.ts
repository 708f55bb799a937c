/** Input checks shared by the mutations, each failing with BAD_USER_INPUT and a sentence to act on. */
import { badInput } from '../errors.ts';

export const LIMITS = {
  name: 100,
  description: 2_000,
  url: 2_000,
  rules: 50,
  ruleTitle: 100,
  ruleDescription: 1_000,
  questions: 20,
  questionText: 300,
  answerText: 2_000,
  reason: 1_000,
  memberIds: 100,
  requestIds: 100,
  /** The longest id accepted: a member id (in `memberIds`, `creatorId`, and a token's `sub`), or any other id. */
  id: 200,
} as const;

/**
 * Text no database can store: lone UTF-16 surrogates (not Unicode) and NUL (PostgreSQL refuses 0x00 in
 * text). Refused as the client's input wherever text comes in: documents and variables (limits.ts), and the
 * strings inside a cursor (schema/pagination.ts).
 */
const UNSTORABLE = /\p{Surrogate}|\u0000/u;

/** Whether a database can store `text` (see UNSTORABLE). */
export const isStorableText = (text: string) => !UNSTORABLE.test(text);

/**
 * Text that shows nothing: spaces, format characters (zero-width spaces), combining marks with nothing to
 * combine with, and the blank letters (Hangul fillers, the blank Braille pattern).
 */
const INVISIBLE = /^[\s\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0\u2800]*$/u;

/** Control characters (a newline in an id, say), which no id or name a person types holds. */
const CONTROL = /\p{Cc}/u;

/** Line and paragraph separators (U+2028, U+2029): a line break in a name, like the control characters. */
const SEPARATOR = /[\p{Zl}\p{Zp}]/u;

/**
 * Bidirectional controls (Unicode's Bidi_Control: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069):
 * in an id or a name they make it show as another text (`abc\u202Eevil` reads "abclive"), and no one types
 * them.
 */
const BIDI_CONTROL = /\p{Bidi_Control}/u;

/**
 * Format characters (Unicode's Cf: zero-width spaces and joiners, soft hyphens, bidirectional controls):
 * invisible, so an id holding one shows as another member's (`ali\u200Bce` is "alice" on screen).
 */
const FORMAT = /\p{Cf}/u;

/**
 * The length of `text` in characters (code points), as limits are stated: an emoji or a rare CJK ideograph
 * is one character, though JavaScript's `length` counts it as two UTF-16 units.
 */
export function characters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** A required, trimmed, non-empty text of at most `max` characters, with something visible in it. */
export function requiredText(label: string, value: string, max: number): string {
  const text = value.trim();
  if (INVISIBLE.test(text)) throw badInput(`${label} must not be empty.`);
  if (characters(text) > max) throw badInput(`${label} must be at most ${max} characters.`);
  return text;
}

/**
 * A required one-line text (a name): requiredText, without control characters (newlines, escapes), line
 * separators, or bidirectional controls (the rule for display names, displayNameOf, which lists show alike).
 */
export function requiredLine(label: string, value: string, max: number): string {
  const text = requiredText(label, value, max);
  if (CONTROL.test(text) || SEPARATOR.test(text)) throw badInput(`${label} must be one line, without control characters.`);
  if (BIDI_CONTROL.test(text)) throw badInput(`${label} must not hold bidirectional control characters (U+202E and the like).`);
  return text;
}

/** An optional text: null or blank clears it. */
export function optionalText(label: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (characters(text) > max) throw badInput(`${label} must be at most ${max} characters.`);
  return text === '' ? null : text;
}

/** An optional absolute http(s) URL. */
export function optionalUrl(label: string, value: string | null | undefined): string | null {
  const text = optionalText(label, value, LIMITS.url);
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(`${label} must be an absolute http(s) URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`${label} must be an absolute http(s) URL.`);
  return url.toString();
}


/**
 * An id a person could have typed: something visible, at most LIMITS.id characters, no control characters,
 * line separators or format characters (zero-width and bidirectional controls among them), no lone
 * surrogates. The one rule for member ids, wherever they come from.
 */
const isPlainId = (id: string) =>
  !INVISIBLE.test(id) && characters(id) <= LIMITS.id && !CONTROL.test(id) && !SEPARATOR.test(id) && !FORMAT.test(id) && isStorableText(id);

/**
 * The member id `id` stands for (trimmed), or null when it is not one: empty or only invisible characters,
 * longer than LIMITS.id, or holding control characters, line separators, format characters (zero-width,
 * bidirectional controls) or lone surrogates. Used
 * for the ids a client names (idList, validMemberId) and for a token's `sub` (auth/viewer.ts), so that
 * every member who can sign in can also be named by an admin.
 */
export function memberIdOf(id: string): string | null {
  const text = id.trim();
  return isPlainId(text) ? text : null;
}

/** A non-empty list of at most `max` distinct, non-empty ids (duplicates are dropped). */
export function idList(label: string, ids: readonly string[], max: number): string[] {
  const unique = [...new Set(ids.map((id) => id.trim()))];
  if (unique.length === 0) throw badInput(`${label} must name at least one id.`);
  if (unique.length > max) throw badInput(`${label} may name at most ${max} ids.`);
  if (unique.some((id) => memberIdOf(id) === null)) {
    throw badInput(`${label} must not contain empty or overlong ids (over ${LIMITS.id} characters), or control, invisible or bidirectional control characters.`);
  }
  return unique;
}

/**
 * A member id given alone (`creatorId`): trimmed, non-empty, at most LIMITS.id characters, no control or
 * invisible or bidirectional control characters.
 */
export function validMemberId(label: string, id: string): string {
  const text = memberIdOf(id);
  if (text === null) throw invalidMemberId(label);
  return text;
}

/** The BAD_USER_INPUT of validMemberId, for a caller that returns the error rather than throw it (a shield rule). */
export const invalidMemberId = (label: string) =>
  badInput(`${label} must be a member id: not empty, at most ${LIMITS.id} characters, no control, invisible or bidirectional control characters.`);


/** Grapheme clusters: a name is cut between user-perceived characters, never inside an emoji or an accent. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The display name a token's `name` claim stands for, or null when it gives none to show: not a string,
 * blank (only invisible characters), or holding control characters, line separators, bidirectional controls
 * (which make a name show as another text in a member list) or lone surrogates. Trimmed, and cut to at most
 * LIMITS.name code points, between grapheme clusters (what was left must still show something).
 * Not an error: a name comes from the identity provider, not from the client, and a token without a usable
 * one is still a good token.
 */
export function displayNameOf(claim: unknown): string | null {
  if (typeof claim !== 'string') return null;
  let text = claim.trim();
  if (CONTROL.test(text) || SEPARATOR.test(text) || BIDI_CONTROL.test(text) || !isStorableText(text)) return null;
  if (characters(text) > LIMITS.name) {
    let cut = '';
    let points = 0;
    for (const { segment } of graphemes.segment(text)) {
      const size = Array.from(segment).length;
      if (points + size > LIMITS.name) break;
      cut += segment;
      points += size;
    }
    text = cut.trimEnd();
  }
  return INVISIBLE.test(text) ? null : text;
}
