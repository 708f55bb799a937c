/**
 * slugBase, unit by unit: Latin names keep the slugs they always had, names in other scripts are
 * transliterated, and every base, whatever the name, is URL-safe, at most 60 characters and never holds a
 * double hyphen (secret groups' slugs rely on that: see src/domain/slugs.ts). Through GraphQL in
 * group-mutations.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slugBase } from '../src/domain/slugs.ts';

/** What a base may be: `[a-z0-9]` runs joined by single hyphens, at most 60 characters. */
const SLUG_BASE = /^(?=.{1,60}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/** slugBase before transliteration, kept to show Latin names did not move. */
function slugBaseBefore(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return base || 'group';
}

const settings = { seed: 20_261_206, numRuns: 200 };

describe('slugBase', () => {
  it.each([
    ['Yoga Class', 'yoga-class'],
    ['Café Crème', 'cafe-creme'],
    ['Café Crème & Co', 'cafe-creme-co'],
    ['¿Qué pasa?', 'que-pasa'],
    ['  YOGA -- Class!! ', 'yoga-class'],
    ['Alice’s club', 'alice-s-club'],
    ['Club 🎉 Party', 'club-party'],
    ['Ich ♥ Yoga', 'ich-yoga'],
    ['½ marathon', '1-2-marathon'],
    ['Ｙｏｇａ', 'yoga'],
    ['Tiếng Việt', 'tieng-viet'],
  ])('keeps the slug a Latin name always had: %s → %s', (name, slug) => {
    expect(slugBase(name)).toBe(slug);
    expect(slugBaseBefore(name)).toBe(slug);
  });

  it('keeps the slug of every name that is ASCII once its accents are stripped', () => {
    const chars = [...'abcxyzABCXYZ0189 -_.,!?&\'"()/#+@éèêëàâäçñöüÿÉÀÇÑÖ', '’', '—', '🎉', '♥', 'ﬁ', '½', 'Ｙ', '\u00a0', '\u20d7', '\u1dc4'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 80 }).map((cs) => cs.join('')), (name) => {
        expect(slugBase(name)).toBe(slugBaseBefore(name));
      }),
      settings,
    );
  });

  it.each([
    ['Cyrillic', 'Клуб бега', 'klub-bega'],
    ['Cyrillic, hard and soft signs', 'Объявления и подъезд', 'obyavleniya-i-podezd'],
    ['Cyrillic, its own diacritics read', 'Йога для всех', 'yoga-dlya-vsekh'],
    ['Ukrainian', 'Їжа та друзі', 'izha-ta-druzi'],
    ['Chinese', '瑜伽', 'yujia'],
    ['Chinese, two words', '瑜伽 俱乐部', 'yujia-julebu'],
    ['Greek', 'Ελληνικά μαθήματα', 'ellinika-mathimata'],
    ['Arabic', 'نادي القراءة', 'ndy-lqrh'],
    ['Arabic digits', '٣ نجوم', '3-njwm'],
    ['Hebrew', 'יוגה', 'yvgh'],
    ['Japanese kana', 'ラーメン部', 'ramenbu'],
    ['Korean', '한국어 모임', 'hangugeo-moim'],
    ['Latin letters that do not decompose', 'Straße Øl Łódź', 'strasse-ol-lodz'],
    ['mixed scripts', 'Yoga 瑜伽 Клуб', 'yoga-yujia-klub'],
    ['mixed, with emoji and punctuation', '🎉 Клуб «Бег» — 2025!', 'klub-beg-2025'],
  ])('transliterates %s: %s → %s', (_script, name, slug) => {
    expect(slugBase(name)).toBe(slug);
  });

  it.each([
    ['emoji only', '🎉🎉'],
    ['flags and keycaps', '🇷🇺 🇨🇳 #️⃣'],
    ['punctuation only', '¿¡ — «» !!!'],
    ['symbols only', '♥ ★ ✓ ©️'],
    ['empty', ''],
  ])('falls back to `group` for a name with nothing to spell (%s)', (_label, name) => {
    expect(slugBase(name)).toBe('group');
  });

  it('cuts a long non-Latin name at 60 characters, never ending on a hyphen', () => {
    const long = slugBase('Клуб бега '.repeat(10));
    expect(long).toBe('klub-bega-klub-bega-klub-bega-klub-bega-klub-bega-klub-bega');
    expect(long).toMatch(SLUG_BASE);
    // 59 characters, then a space: the cut at 60 falls on the hyphen, which goes.
    expect(slugBase(`${'Ж'.repeat(29)}ы бег`)).toBe(`${'zh'.repeat(29)}y`);
    // A single character that spells as several letters is cut like any other.
    expect(slugBase('瑜伽'.repeat(40))).toBe('yujia'.repeat(12));
    expect(slugBase('Щ'.repeat(20))).toBe('shch'.repeat(15));
  });

  it('makes a URL-safe base of at most 60 characters, without a double hyphen, from any name', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: 'grapheme', maxLength: 100 })), (name) => {
        const base = slugBase(name);
        expect(base).toMatch(SLUG_BASE);
        expect(base).not.toContain('--');
        // A base is its own base: a name copied from a slug gives that slug back.
        expect(slugBase(base)).toBe(base);
      }),
      settings,
    );
  });
});
