/** Who is asking: tokens as API.md describes them, and the configuration rules for the secret. */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { codes, ok, startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const VIEWER = `{ viewer { memberId name isGroupsManager } }`;

async function sign(claims: Record<string, unknown>, secret = TEST_SECRET, expires: string | number = '1h', alg = 'HS256') {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime(expires);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('the viewer', () => {
  it('is anonymous without a token', async () => {
    expect(ok(await gw.as('anonymous')(VIEWER)).viewer).toEqual({ memberId: null, name: null, isGroupsManager: false });
  });

  it('is the token’s member, with the groups-manager role read from `roles`', async () => {
    const member = await sign({ sub: 'alice', name: 'Alice', roles: [] });
    expect(ok(await gw.as({ token: member })(VIEWER)).viewer).toEqual({ memberId: 'alice', name: 'Alice', isGroupsManager: false });
    const manager = await sign({ sub: 'boss', roles: ['groups-manager'] });
    expect(ok(await gw.as({ token: manager })(VIEWER)).viewer.isGroupsManager).toBe(true);
  });

  it.each([
    ['a malformed token', async () => 'not-a-jwt'],
    ['a token signed with another secret', () => sign({ sub: 'alice' }, 'another-secret')],
    ['an expired token', () => sign({ sub: 'alice' }, TEST_SECRET, Math.floor(Date.now() / 1000) - 60)],
    ['a token without sub', () => sign({ name: 'nobody' })],
    ['a token with another algorithm', () => sign({ sub: 'alice' }, TEST_SECRET, '1h', 'HS512')],
  ])('rejects %s with UNAUTHENTICATED and HTTP 401, never as anonymous', async (_label, make) => {
    const response = await gw.as({ token: await make() })(VIEWER);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.status).toBe(401);
    expect(response.data ?? null).toBeNull();
  });

  it('rejects an Authorization header that is not a bearer token', async () => {
    const response = await gw.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
      body: JSON.stringify({ query: VIEWER }),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('needs a signed-in viewer for mutations', async () => {
    const response = await gw.as('anonymous')(`mutation { createGroup(input: { name: "x" }) { group { id } } }`);
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('configuration', () => {
  it('refuses to start in production without JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
  it('uses JWT_SECRET when given, and rejects invalid numbers', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's' }).jwtSecret).toBe('s');
    expect(() => loadConfig({ JWT_SECRET: 's', MAX_PAGE_SIZE: 'lots' })).toThrow(/MAX_PAGE_SIZE/);
  });
});
