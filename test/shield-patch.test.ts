/**
 * graphql-shield 7.6.5 imports `util.isUndefined`, which Node 23 removed, and calls it in its `chain` and
 * `race` rules. patches/ replaces it; this test loads shield and runs both rules, so a run on a current Node
 * (CI runs the suite on Node 24 too) fails if the patch is not applied.
 */
import { graphql, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, chain, deny, race, rule, shield } from 'graphql-shield';
import { describe, expect, it } from 'vitest';

const yes = rule({ cache: 'no_cache' })(() => true);

const schema = applyMiddleware(
  new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: Object.fromEntries(['chained', 'raced', 'closed'].map((name) => [name, { type: GraphQLString, resolve: () => name }])),
    }),
  }),
  shield({ Query: { chained: chain(yes, allow), raced: race(deny, yes), closed: chain(yes, deny) } }, { fallbackRule: deny }),
);

describe(`graphql-shield on Node ${process.version}`, () => {
  it('runs chain and race rules', async () => {
    const result = await graphql({ schema, source: '{ chained raced closed }' });
    expect(result.data).toEqual({ chained: 'chained', raced: 'raced', closed: null });
    expect(result.errors?.map((e) => e.path)).toEqual([['closed']]);
  });
});
