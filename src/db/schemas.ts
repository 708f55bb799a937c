/** Where each database's Prisma schema lives, and how the PostgreSQL one is derived from the main one. */

export const SQLITE_SCHEMA = 'prisma/schema.prisma';
export const POSTGRES_SCHEMA = 'prisma/postgresql/schema.prisma';

const HEADER =
  '// GENERATED from prisma/schema.prisma by `npm run schema:postgres`: do not edit; edit that file instead.\n';

/**
 * The PostgreSQL schema for the models of `source`: provider "postgresql", the client generated into
 * src/generated/prisma-pg, and no Pothos generator (the types are the same as SQLite's).
 */
export function derivePostgresSchema(source: string): string {
  let schema = source
    .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
    .replace('output          = "../src/generated/prisma"', 'output          = "../../src/generated/prisma-pg"')
    .replace(/generator pothos \{[^}]*\}\n\n/, '');
  if (schema === source || !schema.includes('"postgresql"') || !schema.includes('prisma-pg')) {
    throw new Error('prisma/schema.prisma no longer has the shape derivePostgresSchema expects; update it.');
  }
  schema = HEADER + schema;
  return schema;
}
