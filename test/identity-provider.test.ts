/**
 * Tokens from an identity provider (src/auth/tokens.ts): verified with its public key (JWT_PUBLIC_KEY) or its
 * JSON Web Key Set (JWT_JWKS_URL, served here by a real HTTP server on loopback), with the issuer, audience
 * and roles claim the gateway is told to expect. Tokens signed with the gateway's own secret are refused
 * then, and a key set out of reach is the server's failure, never the client's token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { codes, ok, startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway.ts';
import { openSubscription, startLiveGateway, type LiveGateway } from './helpers/live.ts';
import { loadConfig } from '../src/config.ts';
import { secretKey, signToken } from '../src/auth/viewer.ts';

const WHO = `{ viewer { memberId name isGroupsManager } }`;

interface Claims {
  sub?: string;
  name?: string;
  roles?: string[];
  iss?: string;
  aud?: string;
  exp?: number;
  [claim: string]: unknown;
}

/** A token signed with `key` (RS256 or ES256), with a `kid` when given; one hour long unless `exp` says. */
async function sign(key: CryptoKey, alg: string, claims: Claims, kid?: string): Promise<string> {
  const { exp, ...rest } = claims;
  const jwt = new SignJWT(rest).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).setIssuedAt();
  if (claims.sub) jwt.setSubject(claims.sub);
  jwt.setExpirationTime(exp ?? '1h');
  return jwt.sign(key);
}

const bearer = (token: string) => ({ token });

describe('JWT_PUBLIC_KEY: tokens signed by the provider’s key', () => {
  let gw: TestGateway;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let publicPem: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    otherKey = (await generateKeyPair('RS256')).privateKey;
    gw = await startGateway({
      JWT_PUBLIC_KEY: publicPem,
      JWT_ISSUER: 'https://id.example.com/',
      JWT_AUDIENCE: 'groups-gateway',
      JWT_ROLES_CLAIM: 'https://example.com/roles',
    });
  });
  afterAll(() => gw?.close());

  const good = { iss: 'https://id.example.com/', aud: 'groups-gateway' };

  it('a token the provider signed names its member, and the configured roles claim makes a Groups Manager', async () => {
    const member = await sign(privateKey, 'RS256', { ...good, sub: 'alice', name: 'Alice' });
    expect(ok(await gw.as(bearer(member))(WHO)).viewer).toEqual({ memberId: 'alice', name: 'Alice', isGroupsManager: false });
    const manager = await sign(privateKey, 'RS256', { ...good, sub: 'boss', 'https://example.com/roles': ['groups-manager'] });
    expect(ok(await gw.as(bearer(manager))(WHO)).viewer).toEqual({ memberId: 'boss', name: null, isGroupsManager: true });
    // The default claim name means nothing here.
    const plainRoles = await sign(privateKey, 'RS256', { ...good, sub: 'boss', roles: ['groups-manager'] });
    expect(ok(await gw.as(bearer(plainRoles))(WHO)).viewer.isGroupsManager).toBe(false);
    // Anonymous is still anonymous.
    expect(ok(await gw.as('anonymous')(WHO)).viewer).toEqual({ memberId: null, name: null, isGroupsManager: false });
  });

  it('refuses tokens of another key, another issuer or audience, expired, and HS256 tokens, even signed with JWT_SECRET', async () => {
    const refused = {
      'another key': await sign(otherKey, 'RS256', { ...good, sub: 'alice' }),
      'another issuer': await sign(privateKey, 'RS256', { ...good, iss: 'https://evil.example.com/', sub: 'alice' }),
      'no issuer': await sign(privateKey, 'RS256', { aud: good.aud, sub: 'alice' }),
      'another audience': await sign(privateKey, 'RS256', { ...good, aud: 'another-app', sub: 'alice' }),
      expired: await sign(privateKey, 'RS256', { ...good, sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 }),
      'HS256 with the gateway secret': await signToken(secretKey(TEST_SECRET), { sub: 'alice', issuer: good.iss, audience: good.aud }),
      // The classic confusion: the public key's text used as an HMAC secret.
      'HS256 with the public key': await new SignJWT({ ...good })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(publicPem)),
      'alg none': `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...good, sub: 'alice' })).toString('base64url')}.`,
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await gw.as(bearer(token))(WHO);
      expect({ what, status: response.status, codes: codes(response), message: response.errors?.[0]?.message }).toEqual({
        what,
        status: 401,
        codes: ['UNAUTHENTICATED'],
        message: 'The token is invalid or expired. Sign in again.',
      });
    }
  });
});

describe('JWT_JWKS_URL: tokens signed by any key of the provider’s key set', () => {
  let gw: LiveGateway;
  let jwks: http.Server;
  let jwksUrl: string;
  let served: { keys: JWK[] } = { keys: [] };
  /** The key set at /rotating.json, whose keys a test withdraws. */
  let rotating: { keys: JWK[] } = { keys: [] };
  /** Whether the key set at /flaky.json answers 503. */
  let flakyDown = false;
  let fetches = 0;
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let unlisted: CryptoKey;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256', { extractable: true });
    const ecPair = await generateKeyPair('ES256', { extractable: true });
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    unlisted = (await generateKeyPair('ES256')).privateKey;
    served = {
      keys: [
        { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ],
    };
    jwks = http.createServer((req, res) => {
      fetches++;
      if (req.url === '/flaky.json' && flakyDown) {
        res.writeHead(503).end('unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.url === '/rotating.json' ? rotating : served));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    gw = await startLiveGateway({ JWT_JWKS_URL: jwksUrl });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  it('accepts a token of each listed key, chosen by its kid, and fetches the set once for both', async () => {
    const before = fetches;
    const byRsa = await sign(rsa, 'RS256', { sub: 'alice', roles: ['groups-manager'] }, 'rsa-1');
    const byEc = await sign(ec, 'ES256', { sub: 'bob' }, 'ec-1');
    expect(ok(await gw.as(bearer(byRsa))(WHO)).viewer).toEqual({ memberId: 'alice', name: null, isGroupsManager: true });
    expect(ok(await gw.as(bearer(byEc))(WHO)).viewer).toEqual({ memberId: 'bob', name: null, isGroupsManager: false });
    expect(fetches - before).toBe(1);
  });

  it('refuses a key the set does not list, a kid naming another key, and HS256 tokens', async () => {
    const refused = {
      'unlisted key': await sign(unlisted, 'ES256', { sub: 'alice' }, 'ec-2'),
      'a listed kid, another key': await sign(unlisted, 'ES256', { sub: 'alice' }, 'ec-1'),
      'HS256 with the gateway secret': await signToken(secretKey(TEST_SECRET), { sub: 'alice' }),
    };
    for (const [what, token] of Object.entries(refused)) {
      const response = await gw.as(bearer(token))(WHO);
      expect({ what, status: response.status, codes: codes(response) }).toEqual({ what, status: 401, codes: ['UNAUTHENTICATED'] });
    }
  });

  it('a WebSocket signs in with such a token at connection_init; a refused one is closed with 4403', async () => {
    const group = ok(
      await gw.as(bearer(await sign(rsa, 'RS256', { sub: 'boss', roles: ['groups-manager'] }, 'rsa-1')))(
        `mutation { createGroup(input: { name: "Provider club", privacy: SECRET, creatorId: "carol" }) { group { id } } }`,
      ),
    ).createGroup.group;
    const carol = await sign(ec, 'ES256', { sub: 'carol' }, 'ec-1');
    const live = openSubscription(gw.server.url, carol, { groupId: group.id, after: '0' });
    // Carol, the SECRET group's admin, gets its events replayed: her token was taken over the socket.
    const [created] = await live.events.take(1);
    expect({ type: created.type, groupId: created.groupId }).toEqual({ type: 'GROUP_CREATED', groupId: group.id });
    await live.close();
    const stranger = openSubscription(gw.server.url, await sign(unlisted, 'ES256', { sub: 'carol' }, 'ec-2'), {});
    expect(await stranger.events.ending()).toBe('close 4403 Forbidden');
  });

  it('a key withdrawn from the set stops its tokens, already verified ones too, once the set’s max age has passed', async () => {
    const [old, next] = await Promise.all([generateKeyPair('ES256', { extractable: true }), generateKeyPair('ES256', { extractable: true })]);
    rotating = { keys: [{ ...(await exportJWK(old.publicKey)), kid: 'old', alg: 'ES256' }] };
    const rotated = await startGateway({ JWT_JWKS_URL: jwksUrl.replace(/\/[^/]*\/jwks\.json$/, '/rotating.json'), JWT_JWKS_MAX_AGE: '1' });
    try {
      const token = await sign(old.privateKey, 'ES256', { sub: 'erin' }, 'old');
      expect(ok(await rotated.as(bearer(token))(WHO)).viewer.memberId).toBe('erin');
      // The provider withdraws the key (it leaked, say) and publishes another.
      rotating = { keys: [{ ...(await exportJWK(next.publicKey)), kid: 'next', alg: 'ES256' }] };
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const refused = await rotated.as(bearer(token))(WHO);
      expect({ status: refused.status, codes: codes(refused) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
      const renewed = await sign(next.privateKey, 'ES256', { sub: 'erin' }, 'next');
      expect(ok(await rotated.as(bearer(renewed))(WHO)).viewer.memberId).toBe('erin');
    } finally {
      await rotated.close();
    }
  });

  it('a key set out of reach is the server’s failure (INTERNAL_SERVER_ERROR, nothing about it), not the token’s; it recovers', async () => {
    flakyDown = true;
    const flaky = await startLiveGateway({ JWT_JWKS_URL: jwksUrl.replace(/\/[^/]*\/jwks\.json$/, '/flaky.json') });
    try {
      const token = await sign(ec, 'ES256', { sub: 'dave' }, 'ec-1');
      const response = await flaky.as(bearer(token))(WHO);
      expect({ codes: codes(response), data: response.data ?? null }).toEqual({ codes: ['INTERNAL_SERVER_ERROR'], data: null });
      expect(JSON.stringify(response)).not.toMatch(/jwks|flaky|127\.0\.0\.1|stack|JOSE/i);
      // Over HTTP, refused as a whole and for now: 503 with Retry-After, on the direct path and Yoga's (GET).
      const post = await fetch(flaky.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: WHO }) });
      const get = await fetch(`${flaky.server.url}?${new URLSearchParams({ query: WHO })}`, { headers: { authorization: `Bearer ${token}` } });
      for (const answer of [post, get]) {
        expect({ status: answer.status, retryAfter: answer.headers.get('retry-after'), body: await answer.json() }).toEqual({
          status: 503, retryAfter: '30', body: { errors: [{ message: expect.any(String), extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
        });
      }
      // Over a WebSocket: closed with 1013, Try Again Later (graphql-ws clients retry it), not 4403.
      const socket = openSubscription(flaky.server.url, token, {});
      expect(await socket.events.ending()).toBe('close 1013 Try again later');
      await socket.close();
      // Once the provider answers again, the same token is taken.
      flakyDown = false;
      expect(ok(await flaky.as(bearer(token))(WHO)).viewer.memberId).toBe('dave');
    } finally {
      await flaky.close();
    }
  });
});

describe('configuration', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'x' };

  it('refuses both sources, a JWKS URL that is not https (but on loopback), and a key that is not a public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    expect(() => loadConfig({ ...base, JWT_JWKS_URL: 'https://id.example.com/jwks', JWT_PUBLIC_KEY: pem })).toThrow('Set JWT_JWKS_URL or JWT_PUBLIC_KEY, not both');
    expect(() => loadConfig({ ...base, JWT_JWKS_URL: 'http://id.example.com/jwks' })).toThrow(/must be an https URL/);
    expect(() => loadConfig({ ...base, JWT_JWKS_URL: 'not a url' })).toThrow(/must be an https URL/);
    expect(() => loadConfig({ ...base, JWT_JWKS_URL: 'https://id.example.com/jwks', JWT_JWKS_MAX_AGE: '0' })).toThrow('JWT_JWKS_MAX_AGE must be an integer from 1 to 86400, got "0"');
    expect(loadConfig({ ...base, JWT_JWKS_URL: 'https://id.example.com/jwks', JWT_JWKS_MAX_AGE: '60' }).tokens.jwksMaxAgeSeconds).toBe(60);
    expect(loadConfig({ ...base, JWT_JWKS_URL: 'http://localhost:9/jwks' }).tokens.jwksUrl).toBe('http://localhost:9/jwks');
    const privatePem = await exportPKCS8(privateKey);
    expect(() => loadConfig({ ...base, JWT_PUBLIC_KEY: privatePem })).toThrow(/holds a private key/);
    expect(() => loadConfig({ ...base, JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' })).toThrow(/not a PEM public key/);
    expect(() => loadConfig({ ...base, JWT_PUBLIC_KEY: '/no/such/file.pem' })).toThrow(/cannot be read/);
    // One line, with \n for its line breaks, as an environment file holds it.
    expect(loadConfig({ ...base, JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).tokens.publicKeyPem).toBe(pem);
    expect(loadConfig(base).tokens).toEqual({ jwksUrl: null, jwksMaxAgeSeconds: 600, publicKeyPem: null, issuer: null, audience: null, rolesClaim: 'roles', nameClaim: 'name', cookie: null });
  });
});

describe('JWT_ISSUER and JWT_AUDIENCE with the gateway’s own secret', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ JWT_ISSUER: 'groups-site', JWT_AUDIENCE: 'groups-gateway' });
  });
  afterAll(() => gw?.close());

  it('tokens must carry them; `npm run token`’s signing adds them', async () => {
    const key = secretKey(TEST_SECRET);
    const signed = await signToken(key, { sub: 'alice', issuer: 'groups-site', audience: 'groups-gateway' });
    expect(ok(await gw.as(bearer(signed))(WHO)).viewer.memberId).toBe('alice');
    for (const token of [await signToken(key, { sub: 'alice' }), await signToken(key, { sub: 'alice', issuer: 'groups-site', audience: 'x' })]) {
      expect(codes(await gw.as(bearer(token))(WHO))).toEqual(['UNAUTHENTICATED']);
    }
  });
});
