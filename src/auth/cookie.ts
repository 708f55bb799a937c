/**
 * The token from a cookie (AUTH_COOKIE), for browsers: a site that keeps its members' token in an HttpOnly
 * cookie, and an `EventSource`, which cannot send an Authorization header. The cookie stands in for the
 * header when the request has none (or one of another scheme, which a browser may send by itself: http.ts), over
 * HTTP (queries, mutations, SSE and multipart subscriptions) and for a WebSocket whose `connection_init`
 * carries no `authorization`.
 *
 * A browser sends a cookie with every request to the gateway, whichever page makes it, so the cookie is read
 * only where no other site's page can use it:
 * - the request has no `Origin` (not a cross-origin request from a page: a client that is not a browser, a
 *   same-origin `EventSource` or GET, a link followed), or
 * - its `Origin` is one of CORS_ORIGINS, exactly (scheme, host and port).
 * Any other page's request runs without it, as the anonymous viewer. That matters most for WebSockets, which
 * browsers open from any page with the cookie and without CORS. Over HTTP, CORS already keeps another page
 * from reading an answer, a JSON POST is preflighted, a form or `text/plain` POST needs a CSRF header
 * (limits.ts) and a GET runs no mutation; the cookie is still not read for it.
 * The gateway's own origin is not taken from the Host header: an origin is a scheme too, which the gateway
 * behind a proxy does not know, and `http://` on the same host (anyone answering for it on a café's network)
 * would have passed for the `https://` site.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What decides whether a request's cookie is read: the cookie's name, and the origins that may use it. */
export interface CookieAuth {
  /** AUTH_COOKIE: the cookie's name. */
  name: string;
  /** CORS_ORIGINS (null: none listed). */
  origins: readonly string[] | null;
}

/** A cookie name as RFC 6265 allows it (an HTTP token). */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The request's cookie read as a token: the Authorization value it stands for, or why it is refused. */
export type CookieToken = { authorization: string } | { refused: string };

/**
 * What the request's cookie says (see CookieToken), or undefined: no cookie of that name (or an empty one), or
 * an Origin that may not use it. (A token sent otherwise wins: the callers ask only when there is none.)
 * The value is taken as sent, not URL-decoded: a token is ASCII without spaces, and anything else is refused
 * as a token is (UNAUTHENTICATED), never run as someone else or silently as anonymous. The cookie sent twice
 * with different values (a browser sends both when another path or a parent domain set one too: a sibling
 * subdomain can, unless the name starts with `__Host-`) is refused, as a repeated Authorization header is:
 * which one the member meant is not the gateway's to guess.
 */
export function cookieToken(headers: IncomingHttpHeaders, auth: CookieAuth): CookieToken | undefined {
  if (headers.cookie === undefined) return undefined;
  if (!originMayUseCookie(headers, auth.origins)) return undefined;
  // Written by hand, not with a cookie parser: parsers keep the first of a repeated name and drop the others,
  // and seeing them all is the point here. Node joins repeated Cookie headers with "; ".
  const values = new Set<string>();
  for (const pair of headers.cookie.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== auth.name) continue;
    values.add(pair.slice(equals + 1).trim());
  }
  if (values.size > 1) return { refused: `Send the ${auth.name} cookie once: the request carries it ${values.size} times, with different tokens.` };
  const [token] = values;
  if (!token) return undefined;
  // A token has no spaces or commas: such a value would read as a list of tokens once made a header.
  if (/[\s,]/.test(token)) return { refused: `The ${auth.name} cookie does not hold a token. Sign in again.` };
  return { authorization: `Bearer ${token}` };
}

/** Marks a request whose cookie was refused (cookieToken), with why: the context refuses it (context.ts). */
const REFUSED = Symbol('cookie refused');
type MarkedRequest = IncomingMessage & { [REFUSED]?: string };

/**
 * Refuses the request's cookie: its context then fails with UNAUTHENTICATED (401), answered by Yoga as any bad
 * token is, with the CORS headers a listed origin's page needs to read it, and logged as such.
 */
export function refuseCookie(req: IncomingMessage, why: string): void {
  (req as MarkedRequest)[REFUSED] = why;
}

/** Why the request's cookie was refused, if it was. */
export function cookieRefusal(req: IncomingMessage | undefined): string | undefined {
  return (req as MarkedRequest | undefined)?.[REFUSED];
}

/** No Origin, or one of CORS_ORIGINS. */
export function originMayUseCookie(headers: IncomingHttpHeaders, origins: readonly string[] | null): boolean {
  const origin = headers.origin;
  return origin === undefined || (origins?.includes(origin) ?? false);
}
