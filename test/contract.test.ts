/**
 * The schema against the public contract: schema.graphql must be what the code prints (not stale), and a
 * compatible superset of ../shared/contract.graphql (no breaking or dangerous change from contract to schema).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { describe, expect, it } from 'vitest';
import { sortedSchema } from '../src/schema/index.ts';
import { derivePostgresSchema, POSTGRES_SCHEMA, SQLITE_SCHEMA } from '../src/db/schemas.ts';

const CONTRACT = path.resolve('../shared/contract.graphql');

describe('schema.graphql', () => {
  it('is the schema the code prints (run `npm run schema:print` when this fails)', () => {
    expect(fs.readFileSync('schema.graphql', 'utf8')).toBe(`${printSchema(sortedSchema)}\n`);
  });

  // graphql-inspector calls any argument added to an existing field dangerous (the resolver may change).
  // These are optional, and a field asked without them means what the contract says: listed one by one.
  const ADDED_OPTIONAL_ARGUMENTS = [
    // Left out: every status, as the contract's viewer.createRequests lists them.
    "DANGEROUS: Argument 'status: RequestStatus' added to field 'Viewer.createRequests'",
  ];

  it.runIf(fs.existsSync(CONTRACT))('has no breaking or dangerous change from the public contract', async () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT, 'utf8'));
    const changes = await diff(contract, buildSchema(fs.readFileSync('schema.graphql', 'utf8')));
    const incompatible = changes
      .filter((c) => c.criticality.level !== CriticalityLevel.NonBreaking)
      .map((c) => `${c.criticality.level}: ${c.message}`);
    expect(incompatible).toEqual(ADDED_OPTIONAL_ARGUMENTS);
  });

  it('the diff does catch a renamed field (the check can fail)', async () => {
    const contract = buildSchema(fs.readFileSync('schema.graphql', 'utf8'));
    const renamed = buildSchema(fs.readFileSync('schema.graphql', 'utf8').replace('membersCount: Int!', 'memberCount: Int!'));
    const changes = await diff(contract, renamed);
    expect(changes.some((c) => c.criticality.level === CriticalityLevel.Breaking)).toBe(true);
  });
});

describe('the Prisma schemas', () => {
  it('PostgreSQL’s is derived from the main one (run `npm run schema:postgres` when this fails)', () => {
    expect(fs.readFileSync(POSTGRES_SCHEMA, 'utf8')).toBe(derivePostgresSchema(fs.readFileSync(SQLITE_SCHEMA, 'utf8')));
  });

  it('both databases have the same migrations, by name', () => {
    const names = (dir: string) => fs.readdirSync(dir).filter((name) => !name.endsWith('.toml')).sort();
    expect(names('prisma/postgresql/migrations')).toEqual(names('prisma/migrations'));
  });
});
