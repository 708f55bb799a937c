/**
 * The permission map (src/auth/permissions.ts) against the schema: every type has a decided rule, and the
 * permission layer wraps exactly the fields whose rule does something (`allow` fields keep their own
 * resolvers). What the rules decide is tested through the API (membership.test.ts, oracle.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { applyMiddleware } from 'graphql-middleware';
import { isIntrospectionType, isObjectType, type GraphQLObjectType } from 'graphql';
import { allow } from 'graphql-shield';
import { schema } from '../src/schema/index.ts';
import { permissionMap, permissionMiddleware, ruleOf } from '../src/auth/permissions.ts';
import { fallbackDeny } from '../src/auth/rules.ts';

const objectTypes = Object.values(schema.getTypeMap()).filter(
  (type): type is GraphQLObjectType => isObjectType(type) && !isIntrospectionType(type),
);
const protectedSchema = applyMiddleware(schema, permissionMiddleware(schema));

describe('the permission map', () => {
  it('names every object type of the schema, so none falls to the deny-all fallback by oversight', () => {
    const unlisted = objectTypes.map((type) => type.name).filter((name) => !(name in permissionMap));
    expect(unlisted).toEqual([]);
  });

  it('resolves a field’s rule as shield does: its own, else the type’s "*", else the fallback', () => {
    expect(ruleOf('Group', 'members')).toBe(permissionMap.Group.members);
    expect(ruleOf('Group', 'name')).toBe(allow); // from '*'
    expect(ruleOf('Query', 'memberships')).toBe(permissionMap.Query.memberships);
    expect(ruleOf('Query', 'someFieldWithoutARule')).toBe(fallbackDeny);
    expect(ruleOf('SomeTypeNobodyListed', 'id')).toBe(fallbackDeny);
    expect(ruleOf('PageInfo', 'hasNextPage')).toBe(allow); // a rule for the whole type
  });

  it('wraps the fields that have a rule other than allow, and leaves every allow field’s resolver as it was', () => {
    const wrapped: string[] = [];
    for (const type of objectTypes) {
      const after = (protectedSchema.getType(type.name) as GraphQLObjectType).getFields();
      for (const [name, field] of Object.entries(type.getFields())) {
        const rule = ruleOf(type.name, name);
        if (rule === allow) {
          expect(after[name].resolve, `${type.name}.${name}`).toBe(field.resolve);
        } else {
          expect(after[name].resolve, `${type.name}.${name}`).not.toBe(field.resolve);
          wrapped.push(`${type.name}.${name}`);
        }
      }
    }
    // The guarded fields are there (and the open ones, e.g. every field of a Group but two, are not).
    expect(wrapped).toEqual(expect.arrayContaining(['Group.members', 'Group.joinRequests', 'Query.memberships', 'Mutation.updateGroup']));
    expect(wrapped).not.toContain('Group.name');
    expect(wrapped).not.toContain('Query.groups');
  });
});
