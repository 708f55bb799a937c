import type { YogaInitialContext } from 'graphql-yoga';
import type { Db } from './db/client.ts';
import type { Config } from './config.ts';
import type { EventBus } from './pubsub.ts';
import type { Audience } from './live/audience.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { ANONYMOUS, bearerToken, connectionAuthorization, isSignedIn, viewerFromAuthorization, type SignedInViewer, type Viewer } from './auth/viewer.ts';
import { badToken, unauthenticated } from './errors.ts';
import { cookieRefusal } from './auth/cookie.ts';
import type { IncomingMessage } from 'node:http';
import type { TokenVerifier } from './auth/tokens.ts';
import type { MemberNameRecorder } from './db/member-names.ts';

/** What lives for the whole process and is shared by every request. */
export interface AppServices {
  db: Db;
  config: Config;
  events: EventBus;
  /** Decides live-event delivery with fresh, per-event batched lookups. */
  audience: Audience;
  /** Checks tokens: with JWT_SECRET, or with the identity provider's keys (auth/tokens.ts). */
  tokens: TokenVerifier;
  /** Records the display names of the tokens verified here, off the requests' path (db/member-names.ts). */
  memberNames: MemberNameRecorder;
}

/** What every resolver and rule receives: the viewer (token parsed once), fresh loaders, the services. */
export interface Context extends AppServices {
  viewer: Viewer;
  loaders: Loaders;
}

/** The context of a write: its viewer is signed in. */
export type MemberCtx = Context & { viewer: SignedInViewer };

/** The context as a write's: the shield rules let only signed-in viewers mutate (isSignedIn); checked again. */
export function signedIn(ctx: Context): MemberCtx {
  if (!isSignedIn(ctx.viewer)) throw unauthenticated();
  return ctx as MemberCtx;
}

/**
 * Builds the context of one HTTP request, or of one subscription connection. Synchronous when the viewer
 * is already known (no token, or one verified before): Yoga then runs the request without a promise and a
 * microtask hop for the context, a measurable part of a small request's cost (bench/README.md, round 4).
 */
export function createContext(
  services: AppServices,
  initial: YogaInitialContext & { connectionParams?: Record<string, unknown>; req?: IncomingMessage },
): Context | Promise<Context> {
  const refused = cookieRefusal(initial.req);
  if (refused !== undefined) return Promise.reject(badToken(refused));
  const fromConnection = initial.connectionParams ? connectionAuthorization(initial.connectionParams) : undefined;
  const header =
    typeof fromConnection === 'string' ? fromConnection : initial.request?.headers.get('authorization');
  const known = knownViewer(header, services.tokens);
  if (known) return contextOf(services, known);
  return verifyViewer(header!, services.tokens).then((viewer) => {
    // A token verified for the first time is a sign-in: its display name is recorded for member lists, in
    // the background (the request does not wait for the write).
    services.memberNames.record(viewer);
    return contextOf(services, viewer);
  });
}

/**
 * Spelled out rather than `{ ...services, viewer, loaders }`. On Node 20 (V8 11.3), making an object by a
 * spread followed by more properties makes the next young-generation collection keep the garbage allocated
 * next to it, reachable or not (Node 24 does not; a few lines of plain JavaScript show it). With one per
 * request, each collection at saturation copied ~0.5 MB of dead requests and paused ~1 ms longer, which
 * put the p99 of a small query at 4x its p50 (bench/README.md, round 8; test/young-garbage.test.ts).
 * The same goes for any such literal made per request or per row.
 */
const contextOf = (services: AppServices, viewer: Viewer): Context => ({
  db: services.db,
  config: services.config,
  events: services.events,
  audience: services.audience,
  tokens: services.tokens,
  memberNames: services.memberNames,
  viewer,
  loaders: createLoaders(services.db, viewer),
});

/** Tokens remembered as verified, per verifier (the most recently used last). */
const VERIFIED_TOKENS = 10_000;
/** A verified token's viewer, trusted until `until` (epoch ms) without verifying it again. */
interface Verified {
  viewer: Viewer;
  until: number;
}
const verified = new WeakMap<TokenVerifier, Map<string, Verified>>();

/**
 * Each token is verified once: a client sends the same token with every request until it expires, and
 * checking its signature is a large part of a small request's cost. A token verified before is trusted
 * again until its `exp` (then it is verified anew, and so refused), and with a remote key set no longer than
 * the key set is cached (TokenVerifier.trustFor, JWT_JWKS_MAX_AGE): a key the provider has withdrawn stops
 * its tokens then, as it stops new ones. Only tokens that verified are kept, at most VERIFIED_TOKENS of them
 * (the least recently used are dropped first).
 *
 * knownViewer() answers without verifying: the anonymous viewer when there is no token, a remembered
 * viewer for a token verified before and not expired, else null (the token must be verified).
 */
function knownViewer(header: string | null | undefined, key: TokenVerifier): Viewer | null {
  if (header === null || header === undefined || header.trim() === '') return ANONYMOUS;
  const tokens = verified.get(key);
  if (!tokens) return null;
  // By the token, not the header as sent (bearerToken): else each spelling of one token (spaces, case) was
  // verified anew and kept, and a client could fill the memory with one token padded a million ways.
  const token = bearerToken(header);
  const known = token === null ? undefined : tokens.get(token);
  if (!known) return null;
  tokens.delete(token!);
  if (known.until <= Date.now()) return null;
  tokens.set(token!, known);
  return known.viewer;
}

async function verifyViewer(header: string, key: TokenVerifier): Promise<Viewer> {
  const viewer = await viewerFromAuthorization(header, key);
  if (viewer.memberId !== null) {
    let tokens = verified.get(key);
    if (!tokens) verified.set(key, (tokens = new Map()));
    if (tokens.size >= VERIFIED_TOKENS) tokens.delete(tokens.keys().next().value!);
    const expires = viewer.expiresAt === null ? Infinity : viewer.expiresAt * 1000;
    const until = key.trustFor === null ? expires : Math.min(expires, Date.now() + key.trustFor);
    // A viewer with a member id came from a valid "Bearer <token>" (viewerFromAuthorization).
    tokens.set(bearerToken(header)!, { viewer: Object.freeze(viewer), until });
  }
  return viewer;
}
