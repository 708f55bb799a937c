import type { YogaInitialContext } from 'graphql-yoga';
import type { Db } from './db/client.ts';
import type { Config } from './config.ts';
import type { EventBus } from './pubsub.ts';
import type { Audience } from './live/audience.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { viewerFromAuthorization, type Viewer } from './auth/viewer.ts';

/** What lives for the whole process and is shared by every request. */
export interface AppServices {
  db: Db;
  config: Config;
  events: EventBus;
  /** Decides live-event delivery with fresh, per-event batched lookups. */
  audience: Audience;
  jwtKey: Uint8Array;
}

/** What every resolver and rule receives: the viewer (token parsed once), fresh loaders, the services. */
export interface Context extends AppServices {
  viewer: Viewer;
  loaders: Loaders;
}

/** Builds the context of one HTTP request, or of one subscription connection. */
export async function createContext(services: AppServices, initial: YogaInitialContext & { connectionParams?: Record<string, unknown> }): Promise<Context> {
  const fromConnection = initial.connectionParams?.authorization;
  const header =
    typeof fromConnection === 'string' ? fromConnection : initial.request?.headers.get('authorization');
  const viewer = await verifiedViewer(header, services.jwtKey);
  return { ...services, viewer, loaders: createLoaders(services.db, viewer) };
}

/** Tokens remembered as verified, per signing key (the most recently used last). */
const VERIFIED_TOKENS = 10_000;
const verified = new WeakMap<Uint8Array, Map<string, Viewer>>();

/**
 * The viewer of an Authorization header, verifying each token once: a client sends the same token with every
 * request until it expires, and checking its signature is a large part of a small request's cost. A token
 * verified before is trusted again until its `exp` (then it is verified anew, and so refused); only tokens
 * that verified are kept, at most VERIFIED_TOKENS of them (the least recently used are dropped first).
 */
async function verifiedViewer(header: string | null | undefined, key: Uint8Array): Promise<Viewer> {
  if (header === null || header === undefined || header.trim() === '') return viewerFromAuthorization(header, key);
  let tokens = verified.get(key);
  if (!tokens) verified.set(key, (tokens = new Map()));
  const known = tokens.get(header);
  if (known) {
    tokens.delete(header);
    if (known.expiresAt === null || known.expiresAt * 1000 > Date.now()) {
      tokens.set(header, known);
      return known;
    }
  }
  const viewer = await viewerFromAuthorization(header, key);
  if (viewer.memberId !== null) {
    if (tokens.size >= VERIFIED_TOKENS) tokens.delete(tokens.keys().next().value!);
    tokens.set(header, Object.freeze(viewer));
  }
  return viewer;
}
