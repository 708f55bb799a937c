/** Baseline: bare graphql-js (hello world) with a document cache, on node:http. */
import type { AddressInfo } from 'node:net';
import { GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { serve } from '../child.ts';
import { graphqlServer } from './graphql-http.ts';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: { hello: { type: new GraphQLNonNull(GraphQLString), resolve: () => 'world' } },
  }),
});
const server = graphqlServer(schema, () => ({}));
server.listen(0, '127.0.0.1', () => serve((server.address() as AddressInfo).port, { close: () => void server.close() }));
