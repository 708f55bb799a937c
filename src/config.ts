import fs from 'node:fs';
import path from 'node:path';
import { createPublicKey, randomBytes } from 'node:crypto';
import { DEFAULT_DATABASE_URL, DEFAULT_POOL_SIZE } from './db/defaults.ts';
import { checkDatabaseUrl } from './db/adapter.ts';
import { COOKIE_NAME } from './auth/cookie.ts';

/**
 * Every environment variable the gateway reads, parsed once, with its default and meaning. (Two places look
 * at the environment besides: server.ts, whether METRICS_ENABLED was given at all, to say how to turn metrics
 * on; builder.ts, NODE_ENV, before any config exists, for the Prisma plugin's development warnings.)
 * The README's configuration table is written from this file.
 */
export interface Config {
  /** NODE_ENV: `production` refuses to start without JWT_SECRET and hides development helpers. */
  nodeEnv: string;
  /** PORT (default 4000) and HOST (default 0.0.0.0): where the HTTP server listens. */
  port: number;
  host: string;
  /** DATABASE_URL (default `file:./data/gateway.db`): `file:` for SQLite, `postgresql://` for PostgreSQL. */
  databaseUrl: string;
  /** DATABASE_POOL_SIZE (default twice the cores plus one): connections in the PostgreSQL pool. */
  databasePoolSize: number;
  /**
   * JWT_SECRET: the HS256 secret tokens are signed with (unless JWT_JWKS_URL or JWT_PUBLIC_KEY say otherwise),
   * and the key of the live events' ids. Required in production. In development, when unset, a secret is
   * generated once into data/dev-jwt-secret (and announced), so `npm run token` signs with it too.
   */
  jwtSecret: string;
  /** Where the development secret came from, when JWT_SECRET was not set. */
  jwtSecretFile: string | null;
  /** How tokens are verified, when not with JWT_SECRET: see TokenConfig below. */
  tokens: TokenConfig;
  /** MAX_PAGE_SIZE (default 100): the largest `first` a connection accepts. */
  maxPageSize: number;
  /** DEFAULT_PAGE_SIZE (default 20): the page size when `first` is omitted. */
  defaultPageSize: number;
  /** Metrics, logs and traces: see ObservabilityConfig below. */
  observability: ObservabilityConfig;
  /** REDIS_URL (default none): see LiveConfig below. */
  redisUrl: string | null;
  /** Live events (subscriptions): see LiveConfig below. */
  live: LiveConfig;
  /** Request limits (src/limits.ts): see LimitsConfig below. */
  limits: LimitsConfig;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

const DEV_SECRET_FILE = path.resolve('data/dev-jwt-secret');
/** The shortest JWT_SECRET production accepts: 256 bits, as RFC 7518 asks of an HS256 key. */
const MIN_SECRET_BYTES = 32;

/** The development signing secret: read from its file, or generated into it on first use. */
function developmentSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The configuration of a command run by an operator (the gateway, `npm run token`, `npm run seed`): a mistake
 * in it is theirs to fix, so it is said in one line (`Cannot start: ...`), without a stack trace, and the
 * process exits with 1.
 */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

/** The values of NODE_ENV the gateway runs under (unset: development). */
const NODE_ENVS = ['production', 'development', 'test'];

/** Reads the configuration from an environment; throws a readable error for anything invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  // Anything else ran as development: `NODE_ENV=prod` served GraphiQL, introspection, open metrics and a
  // generated secret, and `npm start` loaded the demo members into the database.
  if (!NODE_ENVS.includes(nodeEnv)) {
    throw new Error(`NODE_ENV must be one of ${NODE_ENVS.join(', ')}, got "${nodeEnv.slice(0, 40)}"`);
  }
  let jwtSecret = env.JWT_SECRET ?? '';
  let jwtSecretFile: string | null = null;
  if (!jwtSecret) {
    if (nodeEnv === 'production') {
      throw new Error('JWT_SECRET must be set when NODE_ENV=production');
    }
    jwtSecretFile = DEV_SECRET_FILE;
    jwtSecret = developmentSecret(jwtSecretFile);
  }
  // RFC 7518 (3.2): an HS256 key must be at least 256 bits. A shorter one can be guessed offline from any
  // member's token, and a guessed secret signs Groups Manager tokens (every secret group) and event ids.
  const secretBytes = Buffer.byteLength(jwtSecret, 'utf8');
  if (nodeEnv === 'production' && secretBytes < MIN_SECRET_BYTES) {
    throw new Error(
      `JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (256 bits) when NODE_ENV=production, got ${secretBytes}: generate one with \`openssl rand -base64 32\``,
    );
  }
  const maxPageSize = intFromEnv(env, 'MAX_PAGE_SIZE', 100);
  return {
    nodeEnv,
    port: intFromEnv(env, 'PORT', 4000, 0, 65_535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: checkDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL),
    databasePoolSize: intFromEnv(env, 'DATABASE_POOL_SIZE', DEFAULT_POOL_SIZE),
    jwtSecret,
    jwtSecretFile,
    tokens: tokensFromEnv(env),
    maxPageSize,
    // Set above MAX_PAGE_SIZE it is a mistake, and stops start-up; left unset, it is 20, or MAX_PAGE_SIZE if lower.
    defaultPageSize: env.DEFAULT_PAGE_SIZE ? intFromEnv(env, 'DEFAULT_PAGE_SIZE', 20, 1, maxPageSize) : Math.min(20, maxPageSize),
    observability: observabilityFromEnv(env, nodeEnv),
    redisUrl: redisUrlFromEnv(env),
    live: liveFromEnv(env),
    limits: limitsFromEnv(env, nodeEnv),
  };
}

// --- Tokens from an identity provider (src/auth/tokens.ts) ---

/** The asymmetric algorithms a token may be signed with when a public key or a JWKS verifies it. */
export const PUBLIC_KEY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface TokenConfig {
  /**
   * JWT_JWKS_URL (default none): the identity provider's JSON Web Key Set (https, or http on loopback). When
   * set, tokens are verified with its keys (chosen by the token's `kid`; the set is fetched again when a
   * token names a key it lacks, at most every 30 s), and HS256 tokens are refused.
   */
  jwksUrl: string | null;
  /**
   * JWT_JWKS_MAX_AGE (seconds, default 600): how long the key set is used before it is fetched again, and so
   * how long a token stays trusted after its key leaves the set.
   */
  jwksMaxAgeSeconds: number;
  /**
   * JWT_PUBLIC_KEY (default none): the identity provider's public key, as PEM text (`-----BEGIN PUBLIC
   * KEY-----`, or a certificate; `\n` may stand for its line breaks) or the path of a file holding it. When
   * set, tokens are verified with it and HS256 tokens are refused. Not with JWT_JWKS_URL.
   */
  publicKeyPem: string | null;
  /** JWT_ISSUER (default none): when set, a token's `iss` must be this. */
  issuer: string | null;
  /** JWT_AUDIENCE (default none): when set, a token's `aud` must be (or hold) this. */
  audience: string | null;
  /** JWT_ROLES_CLAIM (default `roles`): the claim holding the caller's roles (`groups-manager` among them). */
  rolesClaim: string;
  /**
   * JWT_NAME_CLAIM (default `name`, OpenID Connect's): the claim holding the caller's display name, recorded
   * for member lists (db/member-names.ts) and shown as Viewer.name.
   */
  nameClaim: string;
  /**
   * AUTH_COOKIE (default none): the name of a cookie holding the token, read when a request has no
   * Authorization header (and a WebSocket's connection_init no `authorization`), and only with no Origin or
   * from an origin in CORS_ORIGINS (src/auth/cookie.ts). For browsers: an HttpOnly cookie, and an
   * EventSource, which sends no header.
   */
  cookie: string | null;
}

function tokensFromEnv(env: NodeJS.ProcessEnv): TokenConfig {
  const jwksUrl = env.JWT_JWKS_URL?.trim() || null;
  const publicKey = env.JWT_PUBLIC_KEY?.trim() || null;
  if (jwksUrl && publicKey) throw new Error('Set JWT_JWKS_URL or JWT_PUBLIC_KEY, not both');
  if (jwksUrl) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new Error(`JWT_JWKS_URL must be an https URL, got "${jwksUrl}"`);
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new Error(`JWT_JWKS_URL must be an https URL (http only on loopback), got "${jwksUrl}"`);
    }
  }
  let publicKeyPem: string | null = null;
  if (publicKey) {
    if (publicKey.includes('-----BEGIN')) publicKeyPem = publicKey.replace(/\\n/g, '\n');
    else {
      try {
        publicKeyPem = fs.readFileSync(publicKey, 'utf8');
      } catch {
        throw new Error(`JWT_PUBLIC_KEY must be PEM text or the path of a PEM file, and "${publicKey}" cannot be read`);
      }
    }
    // Read now, so that a key that is not one stops the start rather than every request.
    if (publicKeyPem.includes('PRIVATE KEY')) throw new Error('JWT_PUBLIC_KEY holds a private key: give the public key (or certificate) only');
    try {
      createPublicKey(publicKeyPem);
    } catch {
      throw new Error('JWT_PUBLIC_KEY is not a PEM public key or certificate');
    }
  }
  const rolesClaim = env.JWT_ROLES_CLAIM?.trim() || 'roles';
  const nameClaim = env.JWT_NAME_CLAIM?.trim() || 'name';
  const jwksMaxAgeSeconds = intFromEnv(env, 'JWT_JWKS_MAX_AGE', 600, 1, 86_400);
  const cookie = env.AUTH_COOKIE?.trim() || null;
  if (cookie !== null && !COOKIE_NAME.test(cookie)) {
    throw new Error(`AUTH_COOKIE must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), got "${cookie}"`);
  }
  return { jwksUrl, jwksMaxAgeSeconds, publicKeyPem, issuer: env.JWT_ISSUER?.trim() || null, audience: env.JWT_AUDIENCE?.trim() || null, rolesClaim, nameClaim, cookie };
}

// --- Observability: metrics, logs, traces (src/observability/) ---

/** The levels LOG_LEVEL accepts (pino's), `silent` turning logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ObservabilityConfig {
  /**
   * METRICS_ENABLED: serve Prometheus metrics at `/metrics`. Default true, but under NODE_ENV=production only
   * with METRICS_TOKEN set: the counts of writes are site-wide, secret groups' included, so a production
   * gateway does not show them to anyone who asks unless told to (METRICS_ENABLED=true, e.g. behind a
   * private port).
   */
  metricsEnabled: boolean;
  /** METRICS_TOKEN (default none): when set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | null;
  /**
   * LOG_LEVEL (default `info`; `silent` under NODE_ENV=test unless set): the level of the JSON logs on
   * stdout, one line per request.
   */
  logLevel: LogLevel;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT (default none = tracing off): the OTLP/HTTP collector traces are sent to
   * (`/v1/traces` is appended, as OpenTelemetry specifies). The exporter's other OTEL_* variables apply too.
   */
  otlpEndpoint: string | null;
  /** OTEL_SERVICE_NAME (default `groups-gateway`): the service name on every span. */
  serviceName: string;
}

function booleanFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

function observabilityFromEnv(env: NodeJS.ProcessEnv, nodeEnv: string): ObservabilityConfig {
  const level = env.LOG_LEVEL?.trim().toLowerCase() || (nodeEnv === 'test' ? 'silent' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || null;
  if (otlpEndpoint && !/^https?:\/\//.test(otlpEndpoint)) {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got "${otlpEndpoint}"`);
  }
  const metricsToken = env.METRICS_TOKEN || null;
  return {
    metricsEnabled: booleanFromEnv(env, 'METRICS_ENABLED', nodeEnv !== 'production' || metricsToken !== null),
    metricsToken,
    logLevel: level as LogLevel,
    otlpEndpoint,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'groups-gateway',
  };
}

// --- Live events: the event bus between instances, and the limits of subscriptions (src/live/) ---

/**
 * REDIS_URL (`redis://` or `rediss://`, default none): live events travel between gateway instances through
 * Redis pub/sub, so a subscriber on one instance receives the changes made on another. Unset, events stay
 * within the process (one instance). Redis only carries events: the database's event log stays the source of
 * truth, and subscribers catch up from it after Redis comes back.
 */
function redisUrlFromEnv(env: NodeJS.ProcessEnv): string | null {
  const url = env.REDIS_URL?.trim() || null;
  if (url && !/^rediss?:\/\//.test(url)) throw new Error(`REDIS_URL must start with redis:// or rediss://, got "${url.split(':')[0]}:…"`);
  return url;
}

export interface LiveConfig {
  /**
   * WS_CONNECTION_INIT_TIMEOUT_MS (default 3000): how long a new WebSocket may take to send graphql-ws's
   * `connection_init`; later, it is closed with 4408.
   */
  connectionInitTimeoutMs: number;
  /**
   * MAX_SUBSCRIPTIONS_PER_VIEWER (default 20): live subscriptions one signed-in viewer may have open at once
   * on one instance, over WebSocket and SSE together. The next one fails with FORBIDDEN.
   */
  maxSubscriptionsPerViewer: number;
  /**
   * MAX_ANONYMOUS_SUBSCRIPTIONS_PER_ADDRESS (default 100): live subscriptions anonymous viewers may have open at
   * once on one instance from one client address (behind TRUST_PROXY, the address the proxy saw), over
   * WebSocket and SSE together. Higher than a viewer's because a school's or an office's network shares one.
   */
  maxAnonymousSubscriptionsPerAddress: number;
  /**
   * MAX_WS_CONNECTIONS_PER_ADDRESS (default 1000, 0 = no cap): WebSocket connections one client address may
   * hold open at once on one instance, with or without subscriptions. The next handshake is refused with HTTP
   * 429. Set high because a school's or an office's network shares one address; it stops one host from
   * opening sockets until the process runs out.
   */
  maxConnectionsPerAddress: number;
  /**
   * WS_MAX_BUFFERED_BYTES (default 1048576, 1 MiB): bytes a WebSocket may have waiting to be sent, beyond
   * what the operating system buffers. A client reading slower than its events come is closed with 4008
   * ('Too slow: resume with after') rather than holding memory or other subscribers back.
   */
  maxBufferedBytes: number;
  /**
   * STREAM_STALL_TIMEOUT_MS (default 60000, 0 = never): how long an SSE or multipart stream may wait for its
   * socket to take more of its events before it is cut (live/stalled-streams.ts). A client that stopped reading
   * would hold its response and its subscription slot for good; one reading a long replay very slowly can be
   * cut too, and resumes.
   */
  streamStallTimeoutMs: number;
  /**
   * SUBSCRIPTION_BACKLOG (default 1000): events one subscription may have waiting in the process. Past it,
   * the subscription drops what waits and reads the same events from the event log, in order, at its own
   * pace; it stays open (pubsub.ts).
   */
  backlog: number;
}

function liveFromEnv(env: NodeJS.ProcessEnv): LiveConfig {
  return {
    connectionInitTimeoutMs: intFromEnv(env, 'WS_CONNECTION_INIT_TIMEOUT_MS', 3_000),
    maxSubscriptionsPerViewer: intFromEnv(env, 'MAX_SUBSCRIPTIONS_PER_VIEWER', 20),
    maxAnonymousSubscriptionsPerAddress: intFromEnv(env, 'MAX_ANONYMOUS_SUBSCRIPTIONS_PER_ADDRESS', 100),
    maxConnectionsPerAddress: intFromEnv(env, 'MAX_WS_CONNECTIONS_PER_ADDRESS', 1_000, 0),
    maxBufferedBytes: intFromEnv(env, 'WS_MAX_BUFFERED_BYTES', 1_048_576),
    streamStallTimeoutMs: intFromEnv(env, 'STREAM_STALL_TIMEOUT_MS', 60_000, 0),
    backlog: intFromEnv(env, 'SUBSCRIPTION_BACKLOG', 1_000),
  };
}

// --- Request limits: depth, aliases, cost, batching, introspection, body size, CSRF, rate (src/limits.ts) ---
// Every rejection answers with a contract code (or HTTP 413 / 429), never a crash.

export interface LimitsConfig {
  /**
   * MAX_DEPTH (default 10): the deepest nesting of selections a document may have, leaf fields included. A
   * connection spends three levels per hop (field, edges, node): `viewer.memberships → group → members`
   * down to `memberId` is 9.
   */
  maxDepth: number;
  /** MAX_ALIASES (default 15): aliased fields per operation, fragments included. */
  maxAliases: number;
  /** MAX_DIRECTIVES (default 50): directives per operation. */
  maxDirectives: number;
  /** MAX_TOKENS (default 1000): lexical tokens per document, counted while parsing. */
  maxTokens: number;
  /**
   * MAX_COST (default 50000): the estimated cost of an operation (GraphQL Armor's: objects 2, scalars 1, x1.5
   * per level, x each page's size: its `first`, written or in a variable, else DEFAULT_PAGE_SIZE; cost-limit.ts).
   * A page of 100 rich groups costs about 8,500, pages of 20 members in a page of 20 groups about 17,500, a
   * page of pages (100 x 100) about 435,000, refused before it runs.
   */
  maxCost: number;
  /** BATCH_LIMIT (default 0 = batching off; at most 10): operations one HTTP request may carry as a JSON array. */
  batchLimit: number;
  /** INTROSPECTION (default true outside production, false in production): whether `__schema`/`__type` may be asked. */
  introspection: boolean;
  /** Not a variable: field suggestions ("Did you mean …?") are removed from validation errors in production. */
  blockFieldSuggestions: boolean;
  /** MAX_BODY_BYTES (default 1048576 = 1 MiB): the largest request body read; larger is HTTP 413. */
  maxBodyBytes: number;
  /**
   * PERSISTED_QUERIES_MAX_BYTES (default 8388608 = 8 MiB, 0 = off): the documents kept for automatic
   * persisted queries (src/persisted-queries.ts), in all, the least recently used dropped first. Off, a hash
   * sent without its document is answered PersistedQueryNotSupported, and clients send documents.
   */
  persistedQueriesMaxBytes: number;
  /**
   * CSRF_HEADERS (default `x-graphql-yoga-csrf`, comma-separated): a POST that a browser may send cross-site
   * without a preflight (form, multipart, text/plain or no content type) must carry one of them, else 403.
   */
  csrfHeaders: string[];
  /**
   * RATE_LIMIT_POINTS (default 600; 0 = off; off when NODE_ENV=test unless set): operations one viewer may run
   * per RATE_LIMIT_DURATION seconds (default 60), keyed by member id, or by client address when anonymous.
   * Over the limit: HTTP 429, code RATE_LIMITED, and a Retry-After header.
   */
  rateLimitPoints: number;
  rateLimitDuration: number;
  /**
   * TRUST_PROXY (default false): the gateway runs behind one reverse proxy, so an anonymous client's address
   * is the last entry of X-Forwarded-For rather than the connection's peer address.
   */
  trustProxy: boolean;
  /**
   * REQUEST_TIMEOUT_MS (default 30000): time a client has to send a whole request, headers and body, before
   * its connection is closed (Node's default is 300 s, its headers' 60 s: a client trickling a 1 MiB body held
   * that memory for five minutes). Headers alone get at most 10 s. Responses, SSE streams included, and
   * WebSockets once open are not limited by it.
   */
  requestTimeoutMs: number;
  /**
   * CORS_ORIGINS (default any origin; comma-separated, e.g. `https://groups.example.org`): the web origins
   * whose pages may call the gateway from a browser. With the default, any page may, without credentials
   * (cookies), so a page can do nothing its own visitor's token does not allow. With a list, only those
   * origins get CORS headers, and with credentials allowed (for the AUTH_COOKIE cookie, or a proxy in front
   * that turns a session cookie into the header). AUTH_COOKIE's cookie is read only from these origins' pages
   * (and from requests with no Origin).
   */
  corsOrigins: string[] | null;
}

/** The largest BATCH_LIMIT accepted: a batch multiplies every per-operation limit. */
export const MAX_BATCH_LIMIT = 10;

function limitsFromEnv(env: NodeJS.ProcessEnv, nodeEnv: string): LimitsConfig {
  const production = nodeEnv === 'production';
  const batchLimit = intFromEnv(env, 'BATCH_LIMIT', 0, 0);
  if (batchLimit > MAX_BATCH_LIMIT) throw new Error(`BATCH_LIMIT must be at most ${MAX_BATCH_LIMIT}, got "${batchLimit}"`);
  const csrfHeaders = (env.CSRF_HEADERS ?? 'x-graphql-yoga-csrf')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter(Boolean);
  if (csrfHeaders.length === 0) throw new Error('CSRF_HEADERS must name at least one header');
  return {
    maxDepth: intFromEnv(env, 'MAX_DEPTH', 10),
    maxAliases: intFromEnv(env, 'MAX_ALIASES', 15, 0),
    maxDirectives: intFromEnv(env, 'MAX_DIRECTIVES', 50, 0),
    maxTokens: intFromEnv(env, 'MAX_TOKENS', 1000),
    maxCost: intFromEnv(env, 'MAX_COST', 50_000),
    batchLimit,
    introspection: booleanFromEnv(env, 'INTROSPECTION', !production),
    blockFieldSuggestions: production,
    maxBodyBytes: intFromEnv(env, 'MAX_BODY_BYTES', 1_048_576),
    persistedQueriesMaxBytes: intFromEnv(env, 'PERSISTED_QUERIES_MAX_BYTES', 8_388_608, 0),
    csrfHeaders,
    rateLimitPoints: intFromEnv(env, 'RATE_LIMIT_POINTS', nodeEnv === 'test' ? 0 : 600, 0),
    rateLimitDuration: intFromEnv(env, 'RATE_LIMIT_DURATION', 60),
    trustProxy: booleanFromEnv(env, 'TRUST_PROXY', false),
    requestTimeoutMs: intFromEnv(env, 'REQUEST_TIMEOUT_MS', 30_000),
    corsOrigins: corsOriginsFromEnv(env),
  };
}

/** CORS_ORIGINS: null (any origin) when unset, empty or `*`; else a list of origins as browsers send them. */
function corsOriginsFromEnv(env: NodeJS.ProcessEnv): string[] | null {
  const origins = (env.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  if (origins.length === 0 || (origins.length === 1 && origins[0] === '*')) return null;
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || parsed.origin !== origin) {
      throw new Error(`CORS_ORIGINS must list origins such as https://groups.example.org (scheme, host and port only, no path or trailing slash), got "${origin}"`);
    }
  }
  return origins;
}
