/**
 * buildApp(): the gateway as a Yoga instance, schema with permissions applied. Tests use it in-process
 * (`app.yoga.fetch`) through the real HTTP handling; server.ts puts it on a port.
 */
import { createYoga, maskError as defaultMaskError, useReadinessCheck } from 'graphql-yoga';
import { applyMiddleware } from 'graphql-middleware';
import { GraphQLError } from 'graphql';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/client.ts';
import { createEventBus } from './pubsub.ts';
import { Audience } from './live/audience.ts';
import { createContext, type AppServices } from './context.ts';
import { secretKey } from './auth/viewer.ts';
import { permissions } from './auth/permissions.ts';
import { schema } from './schema/index.ts';
import { checkReadiness } from './health.ts';

export interface AppOptions {
  /** An existing database client (tests pass one that counts statements). */
  db?: Db;
}

/**
 * Errors reach clients as the contract's codes. A GraphQLError carrying a code passes as it is; graphql's
 * own parse and validation errors get GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED (or BAD_USER_INPUT
 * for variables of the wrong type); anything else is INTERNAL_SERVER_ERROR with a fixed message, so no stack
 * trace, SQL or internal name ever leaves the process.
 */
function maskError(error: unknown): Error {
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    // A contract error, as thrown by a rule or resolver (graphql-js wraps it and copies its extensions).
    // Returned as the same object, so Yoga does not log it as an unexpected failure.
    if (error.extensions?.code && (!original || original instanceof GraphQLError)) return error;
    if (!original) {
      const variables = /^Variable "\$/.test(error.message);
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        positions: error.positions,
        path: error.path,
        extensions: { ...error.extensions, code: variables ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
  }
  // Yoga logs the original (server side) because the answer differs from it; the client gets a fixed text.
  const masked = defaultMaskError(error, 'Something went wrong on our side. Try again later.', false) as GraphQLError;
  return new GraphQLError(masked.message, {
    nodes: masked.nodes,
    path: masked.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

export function buildApp(config: Config, options: AppOptions = {}) {
  const db = options.db ?? createDb(config.databaseUrl, { poolSize: config.databasePoolSize });
  const services: AppServices = {
    db,
    config,
    events: createEventBus(),
    audience: new Audience(db),
    jwtKey: secretKey(config.jwtSecret),
  };
  const yoga = createYoga({
    schema: applyMiddleware(schema, permissions),
    context: (initial) => createContext(services, initial),
    maskedErrors: { maskError },
    graphiql: config.nodeEnv !== 'production',
    logging: config.nodeEnv === 'test' ? false : 'info',
    plugins: [
      // `/health` (the process is up) is Yoga's own; `/ready` also needs the database and its migrations.
      useReadinessCheck({
        endpoint: '/ready',
        check: async ({ fetchAPI }) => {
          const readiness = await checkReadiness(db, config.databaseUrl);
          return new fetchAPI.Response(JSON.stringify(readiness), {
            status: readiness.ready ? 200 : 503,
            headers: { 'content-type': 'application/json' },
          });
        },
      }),
    ],
  });
  return { yoga, services, close: () => db.$disconnect() };
}

export type App = ReturnType<typeof buildApp>;
