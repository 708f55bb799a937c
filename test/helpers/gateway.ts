/**
 * The test harness: a real gateway (buildApp) on its own fresh database (SQLite, or PostgreSQL in that run), driven through Yoga's real
 * HTTP handling with `fetch`. `as(viewer)` sends GraphQL as a given viewer; `statements` counts the SQL the
 * database ran, so tests can prove a query's cost does not grow with the page size.
 */
import { loadConfig } from '../../src/config.ts';
import { buildApp, type App } from '../../src/app.ts';
import { createDb } from '../../src/db/client.ts';
import { secretKey, signToken } from '../../src/auth/viewer.ts';
import { createTestDatabase } from './database.ts';

export const TEST_SECRET = 'test-secret-please-change';

/** Who sends a request: anonymous, a site member, or a Groups Manager. */
export type ViewerSpec = 'anonymous' | { sub: string; manager?: boolean; name?: string } | { token: string };

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

export interface TestGateway {
  app: App;
  /** SQL statements run since the gateway started (reset it with `statements.length = 0`). */
  statements: string[];
  databaseUrl: string;
  /** Sends one GraphQL request as `viewer` through the real HTTP handler. */
  as(viewer: ViewerSpec): <T = any>(query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<T>>;
  token(viewer: ViewerSpec): Promise<string | null>;
  /** A raw HTTP request to the gateway (for SSE and non-GraphQL bodies). */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function tokenFor(viewer: ViewerSpec): Promise<string | null> {
  if (viewer === 'anonymous') return null;
  if ('token' in viewer) return viewer.token;
  return signToken(secretKey(TEST_SECRET), { sub: viewer.sub, manager: viewer.manager, name: viewer.name });
}

/** Starts a gateway on a new copy of the migrated template database. */
export async function startGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const database = await createTestDatabase();
  const databaseUrl = database.url;
  const statements: string[] = [];
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: databaseUrl, ...env });
  const db = createDb(databaseUrl, { poolSize: 5, onQuery: (sql) => statements.push(sql) });
  const app = buildApp(config, { db });

  const fetchApp = (input: string, init?: RequestInit) =>
    Promise.resolve(app.yoga.fetch(new Request(new URL(input, 'http://gateway.test'), init)));

  return {
    app,
    statements,
    databaseUrl,
    token: tokenFor,
    fetch: fetchApp,
    as(viewer) {
      return async (query, variables) => {
        const token = await tokenFor(viewer);
        const response = await fetchApp('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as GraphQLResponse;
        return { ...body, status: response.status };
      };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** The error codes of a response, in order (empty when it succeeded). */
export function codes(response: GraphQLResponse): string[] {
  return (response.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
}

/** Fails with the response's errors when it has any; returns its data. */
export function ok<T>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data as T;
}
