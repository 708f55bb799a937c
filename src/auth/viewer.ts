import { SignJWT, type JWTPayload } from 'jose';
import { badToken } from '../errors.ts';
import { LIMITS, displayNameOf, memberIdOf } from '../domain/validate.ts';
import { TokenRefused, type TokenVerifier } from './tokens.ts';

/** The `roles` claim value that makes a caller a Groups Manager. */
export const GROUPS_MANAGER_ROLE = 'groups-manager';

/** Who is asking. Built once per request (or per subscription connection) from the token. */
export interface Viewer {
  /** The site member's id (`sub`), null for the anonymous viewer. */
  memberId: string | null;
  /** The display name the token carries (JWT_NAME_CLAIM, `name`), when it is one to show (domain/validate.ts: displayNameOf). */
  name: string | null;
  /** Full management of every group, secret ones included. */
  isGroupsManager: boolean;
  /** When the token stops being valid (epoch seconds), if it says. */
  expiresAt: number | null;
  /** When the token was issued (`iat`, epoch seconds), if it says: the newest token's name is the one kept. */
  issuedAt?: number | null;
}

export const ANONYMOUS: Viewer = Object.freeze({ memberId: null, name: null, isGroupsManager: false, expiresAt: null });

/** A viewer that is signed in (has a member id). */
export type SignedInViewer = Viewer & { memberId: string };

export function isSignedIn(viewer: Viewer): viewer is SignedInViewer {
  return viewer.memberId !== null;
}

/**
 * The token of a graphql-ws connection: `authorization` in its `connection_init` payload (API.md), as clients
 * also spell it: any case, or inside `headers` (Apollo's and others' habit). Read the same way at
 * connection_init and for each operation, so a valid token is never silently taken for an anonymous viewer.
 * Returns undefined when there is none (anonymous; a blank string is none), and the value as given otherwise
 * (a non-string is refused; two different values, one refused list).
 */
export function connectionAuthorization(params: Record<string, unknown> | null | undefined): unknown {
  const values: unknown[] = [];
  for (const object of [params, params?.headers]) {
    if (object === null || typeof object !== 'object') continue;
    for (const [name, value] of Object.entries(object)) {
      // A blank one is none, as a blank Authorization header is over HTTP (http.ts).
      if (name.toLowerCase() === 'authorization' && value != null && !(typeof value === 'string' && value.trim() === '')) values.push(value);
    }
  }
  const distinct = [...new Set(values)];
  if (distinct.length <= 1) return distinct[0];
  // Two different tokens (`authorization` and `Authorization`, or one beside `headers`): which one is meant
  // is not the gateway's to guess, as with a repeated Authorization header over HTTP (http.ts). A list of
  // values is never one "Bearer <token>", so the connection is refused (4403).
  return distinct.every((value) => typeof value === 'string') ? distinct.join(', ') : distinct.find((value) => typeof value !== 'string');
}

/**
 * The token of an `Authorization` value, "Bearer <token>" (any case, any spaces around it), or null. Verified
 * tokens are remembered by it (context.ts), never by the header as sent: one token written with a million
 * spaces, or in another case, is still one token.
 */
export function bearerToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * Turns an `Authorization` header value into a viewer. No header is the anonymous viewer; anything else
 * that is not a valid, unexpired token with a `sub` (auth/tokens.ts: signed with JWT_SECRET, or by the
 * identity provider) is UNAUTHENTICATED (never silently anonymous). A token that could not be checked (the
 * provider's keys out of reach) is the server's failure, not the client's: that error goes on as it is.
 * The `sub` must be a member id by the rules of the ids clients name (domain/validate.ts: memberIdOf), as
 * written, untrimmed: a member who signs in can then always be named by an admin (removed, approved,
 * given a role), and no id the database cannot store reaches it.
 */
export async function viewerFromAuthorization(header: string | null | undefined, tokens: TokenVerifier): Promise<Viewer> {
  if (header === null || header === undefined || header.trim() === '') return ANONYMOUS;
  // Repeated headers arrive combined into a list (http.ts); a token has no comma.
  if (header.includes(',')) throw badToken('Send one Authorization header with one "Bearer <token>".');
  const token = bearerToken(header);
  if (token === null) throw badToken('The Authorization header must be "Bearer <token>".');
  let payload: JWTPayload;
  try {
    payload = await tokens.verify(token);
  } catch (error) {
    if (error instanceof TokenRefused) throw badToken('The token is invalid or expired. Sign in again.');
    throw error;
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw badToken('The token is invalid or expired. Sign in again.');
  }
  if (memberIdOf(payload.sub) !== payload.sub) {
    throw badToken(`The token's sub is not a valid member id (at most ${LIMITS.id} characters, no control, invisible or bidirectional control characters).`);
  }
  const claimed = payload[tokens.rolesClaim];
  const roles = Array.isArray(claimed) ? claimed : [];
  return {
    memberId: payload.sub,
    name: displayNameOf(payload[tokens.nameClaim]),
    isGroupsManager: roles.includes(GROUPS_MANAGER_ROLE),
    expiresAt: typeof payload.exp === 'number' ? payload.exp : null,
    issuedAt: issuedAtOf(payload.iat),
  };
}

/**
 * A token's `iat` as whole epoch seconds the database can store, or null. JWT allows a fraction (NumericDate),
 * which the name's BigInt column refused, and with it every name written in the same statement.
 */
function issuedAtOf(iat: unknown): number | null {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return null;
  const seconds = Math.floor(iat);
  return seconds >= 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

/**
 * Signs a token for local use and tests (`npm run token`), with the issuer, audience and roles claim the
 * gateway is configured to check (JWT_ISSUER, JWT_AUDIENCE, JWT_ROLES_CLAIM, JWT_NAME_CLAIM), when given.
 */
export async function signToken(
  secret: Uint8Array,
  claims: { sub: string; name?: string; manager?: boolean; expiresIn?: string | number; issuer?: string; audience?: string; rolesClaim?: string; nameClaim?: string },
): Promise<string> {
  const jwt = new SignJWT({
    ...(claims.name ? { [claims.nameClaim ?? 'name']: claims.name } : {}),
    [claims.rolesClaim ?? 'roles']: claims.manager ? [GROUPS_MANAGER_ROLE] : [],
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt();
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  jwt.setExpirationTime(claims.expiresIn ?? '12h');
  return jwt.sign(secret);
}

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
