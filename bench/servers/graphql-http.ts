/**
 * GraphQL over node:http with graphql-js and nothing else: POST JSON in, JSON out, each document parsed and
 * validated once (a cache by its text). The floor the baselines stand on.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execute, parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';

export function graphqlServer<C>(schema: GraphQLSchema, context: (req: IncomingMessage) => C | Promise<C>): Server {
  const documents = new Map<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>();
  const prepared = (query: string) => {
    let found = documents.get(query);
    if (!found) {
      try {
        const document = parse(query);
        const errors = validate(schema, document);
        found = errors.length ? { errors } : { document };
      } catch (error) {
        found = { errors: [error as GraphQLError] };
      }
      if (documents.size < 1_000) documents.set(query, found);
    }
    return found;
  };
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      let payload: string;
      try {
        const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const found = prepared(query);
        if ('errors' in found) {
          payload = JSON.stringify({ errors: found.errors.map((e) => ({ message: e.message })) });
        } else {
          const result = await execute({ schema, document: found.document, variableValues: variables, operationName, contextValue: await context(req) });
          payload = JSON.stringify(result);
        }
      } catch (error) {
        payload = JSON.stringify({ errors: [{ message: (error as Error).message }] });
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
}
