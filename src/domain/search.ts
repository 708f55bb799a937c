/**
 * The searchable form of a group name, stored in Group.nameSearch and applied to search terms alike.
 *
 * Lower case, so a plain `contains` is case-insensitive on every database. And LIKE's special characters
 * (`%`, `_`, and `\`, PostgreSQL's default escape) replaced by look-alike full-width characters: Prisma's
 * `contains` becomes `LIKE` without escaping them (prisma/prisma#19506), and SQLite's LIKE has no default
 * escape character, so mapping them away is the one way that works the same on both databases.
 */
export function searchKey(text: string): string {
  return text.toLowerCase().replace(/%/g, '\uFF05').replace(/_/g, '\uFF3F').replace(/\\/g, '\uFF3C');
}
