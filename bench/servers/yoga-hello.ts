/** Baseline: graphql-yoga's hello world (its defaults: parse and validate caches on), on node:http. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { serve } from '../child.ts';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: false,
  graphiql: false,
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => serve((server.address() as AddressInfo).port, { close: () => void server.close() }));
