/**
 * The schema against the public contract: schema.graphql must be what the code prints (not stale), and a
 * compatible superset of ../shared/contract.graphql (no breaking or dangerous change from contract to schema).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, getNamedType, GraphQLObjectType, printSchema } from 'graphql';
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
    // Relay's object identification (`node(id:)`): a group is a Node; a client switching on __typename still
    // reads "Group".
    "DANGEROUS: 'Group' object implements 'Node' interface",
    // Join and create requests too: a client switching on __typename still reads their names.
    "DANGEROUS: 'JoinRequest' object implements 'Node' interface",
    "DANGEROUS: 'CreateRequest' object implements 'Node' interface",
    // Left out: every member, as the contract's members list them.
    "DANGEROUS: Argument 'search: String' added to field 'Group.members'",
  ];
  /** Relay's backward paging on every connection (`first`/`after` fields): left out, a page goes forward. */
  const BACKWARD_PAGING = (field: string) => [
    `DANGEROUS: Argument 'before: String' added to field '${field}'`,
    `DANGEROUS: Argument 'last: Int' added to field '${field}'`,
  ];

  it.runIf(fs.existsSync(CONTRACT))('has no breaking or dangerous change from the public contract', async () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT, 'utf8'));
    const changes = await diff(contract, buildSchema(fs.readFileSync('schema.graphql', 'utf8')));
    const incompatible = changes
      .filter((c) => c.criticality.level !== CriticalityLevel.NonBreaking)
      .map((c) => `${c.criticality.level}: ${c.message}`);
    const connections = Object.values(contract.getTypeMap())
      .filter((type): type is GraphQLObjectType => type instanceof GraphQLObjectType && !type.name.startsWith('__'))
      .flatMap((type) => Object.values(type.getFields()).filter((f) => f.args.some((a) => a.name === 'first')).map((f) => `${type.name}.${f.name}`));
    expect(connections).toHaveLength(7);
    expect([...incompatible].sort()).toEqual([...ADDED_OPTIONAL_ARGUMENTS, ...connections.flatMap(BACKWARD_PAGING)].sort());
  });

  // Relay's compiler refuses a connection whose page info lacks any of the four fields (or whose field does
  // not take the paging arguments of its direction): every connection here is usable with @connection.
  it('every connection has Relay’s page info and takes first/after and last/before', () => {
    const schema = buildSchema(fs.readFileSync('schema.graphql', 'utf8'));
    const pageInfo = schema.getType('PageInfo') as GraphQLObjectType;
    const fields = Object.fromEntries(Object.values(pageInfo.getFields()).map((f) => [f.name, String(f.type)]));
    expect(fields).toEqual({ hasNextPage: 'Boolean!', hasPreviousPage: 'Boolean!', startCursor: 'String', endCursor: 'String' });
    const pages = Object.values(schema.getTypeMap())
      .filter((type): type is GraphQLObjectType => type instanceof GraphQLObjectType && !type.name.startsWith('__'))
      .flatMap((type) => Object.values(type.getFields()).map((field) => ({ at: `${type.name}.${field.name}`, field })))
      .filter(({ field }) => getNamedType(field.type).name.endsWith('Connection'));
    expect(pages.length).toBeGreaterThanOrEqual(9);
    for (const { at, field } of pages) {
      const args = Object.fromEntries(field.args.map((a) => [a.name, String(a.type)]));
      expect({ at, first: args.first, after: args.after, last: args.last, before: args.before }).toEqual({
        at,
        first: 'Int',
        after: 'String',
        last: 'Int',
        before: 'String',
      });
    }
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
