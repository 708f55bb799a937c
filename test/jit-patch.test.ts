/**
 * graphql-jit 0.8.7 (under @envelop/graphql-jit, which the gateway runs every operation through) handed a
 * subscription field's `subscribe` the operation's variables instead of the field's arguments: an argument
 * written in the document (`groupEvents(after: "0")`) was lost, one from a variable arrived under the
 * variable's name (upstream issue zalando-incubator/graphql-jit#183), and a subscription field under an alias
 * failed with a TypeError (its resolve info was looked up by the field's name, kept under the alias).
 * patches/ computes the arguments as graphql-js does and looks the info up by the response key; this test
 * fails if the patch is not applied.
 */
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';

const received: unknown[] = [];
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      counted: {
        type: GraphQLString,
        args: { from: { type: GraphQLInt }, label: { type: GraphQLString, defaultValue: 'n' } },
        subscribe: async function* (_root: unknown, args: { from?: number; label: string }) {
          received.push(args);
          yield `${args.label}${args.from ?? 'none'}`;
        },
        resolve: (event: unknown) => event,
      },
    },
  }),
});

async function firstEvent(source: string, variables?: Record<string, unknown>) {
  const compiled = compileQuery(schema, parse(source));
  if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
  const stream = (await compiled.subscribe!(undefined, undefined, variables)) as AsyncIterableIterator<ExecutionResult>;
  const { value } = await stream.next();
  await stream.return?.();
  return value;
}

describe('graphql-jit subscribe', () => {
  it('passes arguments written in the document, with their defaults', async () => {
    received.length = 0;
    expect(await firstEvent('subscription { counted(from: 3) }')).toEqual({ data: { counted: 'n3' } });
    expect(received).toEqual([{ from: 3, label: 'n' }]);
  });

  it('passes arguments taken from variables under the argument names', async () => {
    received.length = 0;
    expect(await firstEvent('subscription S($start: Int, $name: String) { counted(from: $start, label: $name) }', { start: 7, name: 'x' })).toEqual({
      data: { counted: 'x7' },
    });
    expect(received).toEqual([{ from: 7, label: 'x' }]);
  });

  it('serves a subscription field under an alias (its resolve info was looked up by the field name)', async () => {
    received.length = 0;
    expect(await firstEvent('subscription { tally: counted(from: 5) }')).toEqual({ data: { tally: 'n5' } });
    expect(received).toEqual([{ from: 5, label: 'n' }]);
  });
});
