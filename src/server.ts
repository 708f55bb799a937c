/** The gateway as a process: configuration from the environment, the server on its port, graceful shutdown. */
import { configOrExit } from './config.ts';

/** How long shutdown may take before the process gives up on stragglers and exits non-zero. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

const config = configOrExit();
const fromProvider = config.tokens.jwksUrl ? 'JWT_JWKS_URL' : config.tokens.publicKeyPem ? 'JWT_PUBLIC_KEY' : null;
if (config.jwtSecretFile && !fromProvider) {
  // Tokens are only as secret as this file: say so, so nobody runs a shared deployment on it by accident.
  console.warn(
    `JWT_SECRET is not set: signing tokens with the development secret in ${config.jwtSecretFile} ` +
      '(`npm run token` uses it too). Set JWT_SECRET for anything shared.',
  );
}

if (config.nodeEnv === 'production' && !config.observability.metricsEnabled && process.env.METRICS_ENABLED === undefined) {
  // Off by default here rather than open (config.ts): say how to turn it on, so nobody hunts for a 404.
  console.warn('/metrics is off: set METRICS_TOKEN to serve it to Prometheus, or METRICS_ENABLED=true to serve it to anyone.');
}

// Loaded once the configuration is known to be good, so a configuration mistake is reported at once.
const { startServer } = await import('./http.ts');
const server = await startServer(config).catch((error: Error) => {
  console.error(`Cannot start: ${error.message}`); // e.g. the port is taken
  process.exit(1);
});
const live = config.redisUrl ? 'through Redis' : 'in-process';
const tokens = fromProvider
  ? `tokens: identity provider (${fromProvider})`
  : config.jwtSecretFile
    ? 'tokens: the development secret, not JWT_SECRET'
    : 'tokens: JWT_SECRET';
console.log(`Groups gateway on ${server.url} (database: ${config.databaseUrl.split(':')[0]}, live events: ${live}, ${tokens})`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  // On stderr: stdout may be in the middle of a log block (64 KiB, larger than a pipe's atomic write) that a
  // line written beside it could split.
  console.error(`${signal}: finishing in-flight requests, then stopping.`);
  setTimeout(() => {
    console.error('Shutdown took too long; exiting anyway.');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  try {
    await server.close();
    process.exit(0);
  } catch (error) {
    console.error('Shutdown failed:', error);
    process.exit(1);
  }
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
