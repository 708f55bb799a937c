/**
 * Live-event harness: the gateway on a real port (startServer) over a fresh database of this run's kind,
 * driven by real clients: graphql-ws over WebSocket and SSE over fetch. Every wait is bounded, and
 * everything a helper opens is closed by the gateway's close() if the test did not close it first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/http.ts';
import { createDb, type Db } from '../../src/db/client.ts';
import { TEST_SECRET, testEventIds, tokenFor, type GraphQLResponse, type ViewerSpec } from './gateway.ts';
import { createTestDatabase } from './database.ts';

/** graphql-ws, SSE over fetch, or multipart HTTP as Apollo Client's HttpLink speaks it (test/multipart-subscriptions.test.ts). */
export type Transport = 'ws' | 'sse' | 'multipart';
/** The transports every live test runs over. */
export const TRANSPORTS: Transport[] = ['ws', 'sse'];

/** What the tests select of each event. */
export interface LiveEvent {
  id: string;
  type: string;
  groupId: string;
  memberId: string | null;
  role: string | null;
  group: { id: string; name: string } | null;
}

export const GROUP_EVENTS = `subscription($groupId: ID, $after: ID) {
  groupEvents(groupId: $groupId, after: $after) { id type groupId memberId role group { id name } }
}`;

const DEFAULT_WAIT_MS = 4_000;

/** Waits (boundedly) until `condition` holds. */
export async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Messages as they arrive, read in order with bounded waits. */
export class Feed<T> {
  readonly items: T[] = [];
  private read = 0;
  private wake: (() => void) | null = null;
  ended: unknown = null;

  push(item: T) {
    this.items.push(item);
    this.wake?.();
  }

  end(reason: unknown) {
    this.ended ??= reason ?? 'ended';
    this.wake?.();
  }

  /** The next `count` unread items; fails after `timeoutMs` saying what did arrive. */
  async take(count = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < this.read + count) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) {
        const got = JSON.stringify(this.items.slice(this.read));
        throw new Error(`Expected ${count} more item(s), got ${got}${this.ended ? ` (ended: ${String(this.ended)})` : ''}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    const taken = this.items.slice(this.read, this.read + count);
    this.read += count;
    return taken;
  }

  /** Why the feed ended (e.g. `close 4401 Token expired`), once it has; fails after `timeoutMs`. */
  async ending(timeoutMs = DEFAULT_WAIT_MS): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`Not ended within ${timeoutMs} ms; got ${JSON.stringify(this.items)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.ended;
  }

  /** Unread items after waiting `ms` (to assert that nothing more came). */
  async unreadAfter(ms = 300): Promise<T[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.items.slice(this.read);
  }
}

/** One running subscription: its events, the errors it got, and how to stop it. */
export interface LiveSubscription {
  events: Feed<LiveEvent>;
  errors: Feed<{ message: string; extensions?: { code?: string } }>;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  groupId?: string;
  /**
   * Event id to replay after. Defaults to the newest event in the log when subscribing: the server sends no
   * acknowledgment when a subscription starts, so "from now on" is expressed this way and cannot race.
   * Pass null for a purely live subscription (then subscribe() returns once the server listens).
   */
  after?: string | null;
  transport?: Transport;
  /** The subscription document (default GROUP_EVENTS), taking `$groupId` and `$after`. */
  query?: string;
}

export interface LiveGateway {
  server: RunningServer;
  /** A database client on the gateway's database (to read the event log directly). */
  db: Db;
  databaseUrl: string;
  /** Sends one GraphQL request over HTTP as `viewer`. */
  as(viewer: ViewerSpec): <T = any>(query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<T>>;
  subscribe(viewer: ViewerSpec, options?: SubscribeOptions): Promise<LiveSubscription>;
  /** Closes every subscription still open (tests call it after each test). */
  closeSubscriptions(): Promise<void>;
  /** The id of the newest event in the log ('0' when empty). */
  latestEventId(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens one subscription to a gateway at `url` (its GraphQL endpoint): graphql-ws without retries, or SSE.
 * `query` defaults to GROUP_EVENTS.
 */
export function openSubscription(
  url: string,
  token: string | null,
  variables: Record<string, unknown>,
  transport: Transport = 'ws',
  query = GROUP_EVENTS,
): LiveSubscription {
  return { ws: wsSubscribe, sse: sseSubscribe, multipart: multipartSubscribe }[transport](url, token, variables, query);
}

/** Apollo Client 4 with its plain HttpLink, which sends a subscription over multipart HTTP. */
function multipartSubscribe(url: string, token: string | null, variables: Record<string, unknown>, query: string): LiveSubscription {
  const events = new Feed<LiveEvent>();
  const errors = new Feed<any>();
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
    cache: new InMemoryCache(),
  });
  const end = (reason: string) => {
    events.end(reason);
    errors.end(reason);
  };
  const subscription = client.subscribe<{ groupEvents: LiveEvent }>({ query: gql(query), variables, fetchPolicy: 'no-cache' }).subscribe({
    next: (result) => {
      const graphQLErrors = (result.error as { errors?: unknown[] } | undefined)?.errors;
      if (graphQLErrors) graphQLErrors.forEach((e) => errors.push(e));
      else if (result.error) errors.push({ message: String(result.error) });
      // Apollo Client adds __typename to every selection: left out, as the other transports do not ask for it.
      if (result.data?.groupEvents) events.push(JSON.parse(JSON.stringify(result.data.groupEvents), (key, value) => (key === '__typename' ? undefined : value)));
    },
    error: (error) => {
      errors.push({ message: String(error) });
      end('error');
    },
    complete: () => end('complete'),
  });
  return {
    events,
    errors,
    async close() {
      subscription.unsubscribe();
      client.stop();
    },
  };
}

function wsSubscribe(url: string, token: string | null, variables: Record<string, unknown>, query: string): LiveSubscription {
  const events = new Feed<LiveEvent>();
  const errors = new Feed<any>();
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  const stop = client.subscribe<{ groupEvents: LiveEvent }>({ query, variables }, {
    next: (result) => {
      if (result.errors) result.errors.forEach((e) => errors.push(e as any));
      if (result.data) events.push(result.data.groupEvents);
    },
    error: (error) => {
      if (Array.isArray(error)) error.forEach((e) => errors.push(e));
      const close = error as { code?: number; reason?: string };
      const reason = Array.isArray(error) ? 'errors' : `close ${close.code} ${close.reason ?? ''}`.trim();
      events.end(reason);
      errors.end(reason);
    },
    complete: () => events.end('complete'),
  });
  return {
    events,
    errors,
    async close() {
      stop();
      await client.dispose();
    },
  };
}

/**
 * A reader of a GraphQL SSE stream: fed the body's chunks as they come, it returns the results (the JSON of
 * each `data:` line) that the chunk completed.
 */
export function sseResults(): (chunk: Uint8Array) => any[] {
  const decoder = new TextDecoder();
  let buffer = '';
  return (chunk) => {
    buffer += decoder.decode(chunk, { stream: true });
    const results: any[] = [];
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of message.split('\n')) {
        if (line.startsWith('data:') && line.slice(5).trim() !== '') results.push(JSON.parse(line.slice(5)));
      }
    }
    return results;
  };
}

function sseSubscribe(url: string, token: string | null, variables: Record<string, unknown>, query: string): LiveSubscription {
  const events = new Feed<LiveEvent>();
  const errors = new Feed<any>();
  const abort = new AbortController();
  const reading = (async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    const parse = sseResults();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (const result of parse(chunk)) {
        if (result.errors) result.errors.forEach((e: any) => errors.push(e));
        if (result.data?.groupEvents) events.push(result.data.groupEvents);
      }
    }
  })()
    .catch((error) => (abort.signal.aborted ? undefined : errors.push({ message: String(error) })))
    .finally(() => {
      events.end('stream ended');
      errors.end('stream ended');
    });
  return {
    events,
    errors,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

/** Starts the gateway on port 0 over a new copy of the migrated template database. */
export async function startLiveGateway(env: Record<string, string> = {}): Promise<LiveGateway> {
  const database = await createTestDatabase();
  const databaseUrl = database.url;
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', ...env });
  const db = createDb(databaseUrl, { poolSize: 5 });
  const server = await startServer(config, { db });
  const open = new Set<LiveSubscription>();

  const closeSubscriptions = async () => {
    const subscriptions = [...open];
    open.clear();
    await Promise.all(subscriptions.map((s) => s.close()));
  };
  const latestEventId = async () => testEventIds.encode((await db.groupEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0);

  return {
    server,
    db,
    databaseUrl,
    latestEventId,
    closeSubscriptions,
    as(viewer) {
      return async (query, variables) => {
        const token = await tokenFor(viewer);
        const response = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        return { ...((await response.json()) as GraphQLResponse), status: response.status };
      };
    },
    async subscribe(viewer, options = {}) {
      const token = await tokenFor(viewer);
      const after = options.after === undefined ? await latestEventId() : options.after;
      const variables = { groupId: options.groupId ?? null, after };
      const listening = server.app.services.events.listenerCount('groupEvent');
      const subscription = openSubscription(server.url, token, variables, options.transport, options.query);
      open.add(subscription);
      // Purely live: wait until the server listens (the in-process bus shows it), or its first events could be missed.
      if (after === null) {
        const deadline = Date.now() + DEFAULT_WAIT_MS;
        while (server.app.services.events.listenerCount('groupEvent') <= listening) {
          if (Date.now() > deadline) throw new Error('The subscription did not start.');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      return {
        ...subscription,
        close: async () => {
          open.delete(subscription);
          await subscription.close();
        },
      };
    },
    async close() {
      await closeSubscriptions();
      await server.close();
      await database.drop();
    },
  };
}

// --- The gateway as its own process (`node --import tsx src/server.ts`), the way `npm run serve` runs it ---

export interface GatewayProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

const launched = new Set<ChildProcess>();

/**
 * Starts `node --import tsx src/server.ts` with exactly `env` (plus PATH), collecting its output, in a process
 * group of its own (killGateways kills the group).
 */
export function launchGateway(env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  launched.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** Kills every launched gateway that is still running (afterEach / afterAll). */
export function killGateways() {
  for (const child of launched) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  launched.clear();
}

/** Waits until the output contains `text`, failing after `timeoutMs` (or when the process exits first). */
export async function waitForOutput(gateway: GatewayProcess, text: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!gateway.output().includes(text)) {
    if (gateway.child.exitCode !== null) throw new Error(`Exited with ${gateway.child.exitCode} before "${text}":\n${gateway.output()}`);
    if (Date.now() > deadline) throw new Error(`No "${text}" within ${timeoutMs} ms:\n${gateway.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The exit code, or a failure if the process is still running after `timeoutMs`. */
export function exitWithin(gateway: GatewayProcess, timeoutMs: number) {
  return Promise.race([
    gateway.exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`Still running after ${timeoutMs} ms:\n${gateway.output()}`)), timeoutMs)),
  ]);
}
