/** Starts the gateway on a port: HTTP, SSE and GraphQL over WebSocket. Shuts down cleanly on SIGTERM/SIGINT. */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { loadConfig } from './config.ts';
import { buildApp } from './app.ts';

const config = loadConfig();
if (config.jwtSecretGenerated) {
  console.warn(
    'JWT_SECRET is not set: using a random secret for this run (tokens stop working on restart). ' +
      'Set JWT_SECRET, and use the same value with `npm run token`.',
  );
}
const app = buildApp(config);
const { yoga } = app;

const server = createServer(yoga);
const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });

// graphql-ws over the same port and path as HTTP: the token comes in connection_init's `authorization`.
useServer(
  {
    execute: (args: any) => args.rootValue.execute(args),
    subscribe: (args: any) => args.rootValue.subscribe(args),
    onSubscribe: async (ctx, _id, payload) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        params: payload,
        connectionParams: ctx.connectionParams,
      });
      const args = {
        schema,
        operationName: payload.operationName,
        document: parse(payload.query),
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      if (errors.length) return errors;
      return args;
    },
  },
  wsServer,
);

server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(`Groups gateway on http://localhost:${port}${yoga.graphqlEndpoint} (database: ${config.databaseUrl.split(':')[0]})`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: finishing in-flight requests, then stopping.`);
  for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
  wsServer.close();
  server.close(async () => {
    await app.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
