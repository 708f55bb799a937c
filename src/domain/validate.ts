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
} as const;

/**
 * Text that shows nothing: spaces, format characters (zero-width spaces), combining marks with nothing to
 * combine with, and the blank letters (Hangul fillers, the blank Braille pattern).
 */
const INVISIBLE = /^[\s\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0\u2800]*$/u;

/** Control characters (a newline in an id, say), which no id or name a person types holds. */
const CONTROL = /\p{Cc}/u;

/** A required, trimmed, non-empty text of at most `max` characters, with something visible in it. */
export function requiredText(label: string, value: string, max: number): string {
  const text = value.trim();
  if (INVISIBLE.test(text)) throw badInput(`${label} must not be empty.`);
  if (text.length > max) throw badInput(`${label} must be at most ${max} characters.`);
  return text;
}

/** A required one-line text (a name): requiredText, without control characters (newlines, escapes). */
export function requiredLine(label: string, value: string, max: number): string {
  const text = requiredText(label, value, max);
  if (CONTROL.test(text)) throw badInput(`${label} must be one line, without control characters.`);
  return text;
}

/** An optional text: null or blank clears it. */
export function optionalText(label: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text.length > max) throw badInput(`${label} must be at most ${max} characters.`);
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

/** The longest id accepted (the ids of members and groups are far shorter). */
const MAX_ID = 200;

/** An id a person could have typed: something visible, at most MAX_ID characters, no control characters. */
const isPlainId = (id: string) => !INVISIBLE.test(id) && id.length <= MAX_ID && !CONTROL.test(id);

/** A non-empty list of at most `max` distinct, non-empty ids (duplicates are dropped). */
export function idList(label: string, ids: readonly string[], max: number): string[] {
  const unique = [...new Set(ids.map((id) => id.trim()))];
  if (unique.length === 0) throw badInput(`${label} must name at least one id.`);
  if (unique.length > max) throw badInput(`${label} may name at most ${max} ids.`);
  if (unique.some((id) => !isPlainId(id))) {
    throw badInput(`${label} must not contain empty or overlong ids, or control characters.`);
  }
  return unique;
}

/** A member id given alone (`creatorId`): trimmed, non-empty, at most 200 characters, no control characters. */
export function validMemberId(label: string, id: string): string {
  const text = id.trim();
  if (!isPlainId(text)) {
    throw badInput(`${label} must be a member id: not empty, at most ${MAX_ID} characters, no control characters.`);
  }
  return text;
}
