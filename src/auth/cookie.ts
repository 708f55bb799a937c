/**
 * The token from a cookie (AUTH_COOKIE), for browsers: a site that keeps its members' token in an HttpOnly
 * cookie, and an `EventSource`, which cannot send an Authorization header. The cookie stands in for the
 * header when the request has none: over HTTP (queries, mutations, SSE and multipart subscriptions) and for a
 * WebSocket whose `connection_init` carries no `authorization`.
 *
 * A browser sends a cookie with every request to the gateway, whichever page makes it, so the cookie is read
 * only where no other site's page can use it:
 * - the request has no `Origin` (not a cross-origin request from a page: a client that is not a browser, a
 *   same-origin `EventSource` or GET, a link followed), or
 * - its `Origin` is one of CORS_ORIGINS, or the gateway's own (its host is the request's `Host`).
 * Any other page's request runs without it, as the anonymous viewer. That matters most for WebSockets, which
 * browsers open from any page with the cookie and without CORS. Over HTTP, CORS already keeps another page
 * from reading an answer, a JSON POST is preflighted, a form or `text/plain` POST needs a CSRF header
 * (limits.ts) and a GET runs no mutation; the cookie is still not read for it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie } from 'cookie';

/** What decides whether a request's cookie is read: the cookie's name, and the origins that may use it. */
export interface CookieAuth {
  /** AUTH_COOKIE: the cookie's name. */
  name: string;
  /** CORS_ORIGINS (null: none listed). */
  origins: readonly string[] | null;
}

/** A cookie name as RFC 6265 allows it (an HTTP token). */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The `Authorization` value the request's cookie stands for ("Bearer <token>"), or undefined: no cookie of
 * that name (or an empty one), an Authorization header already there, or an Origin that may not use it.
 * The value is taken as sent, not URL-decoded: a token is ASCII without spaces, and anything else is refused
 * as a token is (UNAUTHENTICATED), never run as someone else or silently as anonymous.
 */
export function cookieAuthorization(headers: IncomingHttpHeaders, auth: CookieAuth): string | undefined {
  if (headers.authorization !== undefined || headers.cookie === undefined) return undefined;
  if (!originMayUseCookie(headers, auth.origins)) return undefined;
  const token = parseCookie(headers.cookie, { decode: (value) => value })[auth.name];
  return token ? `Bearer ${token}` : undefined;
}

/** No Origin, a listed one, or the gateway's own (same host as the request's Host header). */
export function originMayUseCookie(headers: IncomingHttpHeaders, origins: readonly string[] | null): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (origins?.includes(origin)) return true;
  if (!URL.canParse(origin) || headers.host === undefined) return false;
  return new URL(origin).host === headers.host.toLowerCase();
}
