/**
 * The gateway as benchmarked: startServer() (HTTP, SSE and graphql-ws on one port) in its own process, on
 * the run's database, with every SQL statement counted. Environment: DATABASE_URL, JWT_SECRET, and
 * BENCH_SHIELD=off to measure the same gateway without its permission layer (see stubs/).
 */
import '../stubs.ts';
import { counters, serve } from '../child.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/client.ts';

const config = loadConfig({ ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' });
const db = createDb(config.databaseUrl, {
  poolSize: config.databasePoolSize,
  onQuery: () => {
    counters.statements++;
  },
});
// Imported once the bench's module substitutions (stubs.ts) are registered.
const { startServer } = await import('../../src/http.ts');
const server = await startServer(config, { db });
const events = server.app.services.events;

serve(server.port, {
  close: () => server.close(),
  extra: () => ({ subscriptions: events.listenerCount('groupEvent') }),
});
