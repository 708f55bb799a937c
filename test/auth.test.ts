/** Who is asking: tokens as API.md describes them, and the configuration rules for the secret. */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { LIMITS } from '../src/domain/validate.ts';
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

  // The sub is a member id by the rules of the memberIds an admin names (domain/validate.ts), as written:
  // otherwise its member could join groups and file requests that no admin could ever remove or decide.
  it.each([
    ['blank', '  '],
    ['surrounded by spaces', ' alice '],
    [`over ${LIMITS.id} characters`, 'h'.repeat(LIMITS.id + 1)],
    ['5000 characters', 'h'.repeat(5_000)],
    ['a newline', 'c\nd'],
    ['NUL', 'a\u0000b'],
    ['a right-to-left override', '\u202Eevil'],
    ['a bidi isolate', 'a\u2066b'],
    ['a lone surrogate', 'x\uD800y'],
    ['zero-width spaces only', '\u200B\u200B'],
    ['a zero-width space inside, showing as another member', 'ali\u200Bce'],
    ['a line separator', 'a\u2028b'],
  ])('rejects a token whose sub is not a member id (%s) with UNAUTHENTICATED and HTTP 401', async (_label, sub) => {
    const token = await sign({ sub });
    for (const query of [VIEWER, `mutation { joinGroup(groupId: "any") { membership { memberId } } }`]) {
      const response = await gw.as({ token })(query);
      expect({ sub, status: response.status, codes: codes(response), data: response.data ?? null }).toEqual({
        sub,
        status: 401,
        codes: ['UNAUTHENTICATED'],
        data: null,
      });
    }
  });

  it(`accepts a sub of ${LIMITS.id} characters, and admins can name that member like any other`, async () => {
    const sub = 'h'.repeat(LIMITS.id);
    const token = await sign({ sub });
    expect(ok(await gw.as({ token })(VIEWER)).viewer.memberId).toBe(sub);
    const groupId = ok(await gw.as({ sub: 'admin', manager: true })(`mutation { createGroup(input: { name: "Long ids", privacy: PRIVATE }) { group { id } } }`)).createGroup.group.id;
    const joined = ok(await gw.as({ token })(`mutation($g: ID!) { joinGroup(groupId: $g) { joinRequest { memberId status } } }`, { g: groupId }));
    expect(joined.joinGroup.joinRequest).toEqual({ memberId: sub, status: 'PENDING' });
    const approved = ok(await gw.as({ sub: 'admin' })(`mutation($g: ID!, $m: [ID!]!) { approveJoinRequests(groupId: $g, memberIds: $m) { memberId status } }`, { g: groupId, m: [sub] }));
    expect(approved.approveJoinRequests).toEqual([{ memberId: sub, status: 'APPROVED' }]);
    const removed = ok(await gw.as({ sub: 'admin' })(`mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removedMemberIds } }`, { g: groupId, m: [sub] }));
    expect(removed.removeGroupMembers.removedMemberIds).toEqual([sub]);
  });

  it('refuses memberIds and creatorId that no token could carry: bidi controls, invisible characters, lone surrogates, overlong', async () => {
    const groupId = ok(await gw.as({ sub: 'admin', manager: true })(`mutation { createGroup(input: { name: "Named ids" }) { group { id } } }`)).createGroup.group.id;
    for (const id of ['\u202Eevil', 'a\u202Ab', 'a\u2069', 'x\uD800y', 'h'.repeat(LIMITS.id + 1), 'c\nd', 'ali\u200Bce', 'ali\u00ADce', 'a\u2028b', 'a\u2029b']) {
      const add = await gw.as({ sub: 'admin' })(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: [id] });
      const create = await gw.as({ sub: 'boss', manager: true })(`mutation($c: ID!) { createGroup(input: { name: "Theirs", creatorId: $c }) { group { id } } }`, { c: id });
      expect({ id, add: codes(add), create: codes(create) }).toEqual({ id, add: ['BAD_USER_INPUT'], create: ['BAD_USER_INPUT'] });
    }
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

  it('remembers a verified token by the token, not by how the header spells it (case, spaces), so padding cannot fill the memory', async () => {
    const token = await sign({ sub: 'padded', roles: [] });
    const verify = vi.spyOn(gw.app.services.tokens, 'verify');
    try {
      const spellings = [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`, `Bearer\t${token} `, ...Array.from({ length: 20 }, (_, i) => `Bearer${' '.repeat(i + 2)}${token}`)];
      for (const authorization of spellings) {
        const response = await gw.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: VIEWER }) });
        expect((await response.json()).data.viewer.memberId).toBe('padded');
      }
      // Verified once: every other spelling found it remembered (before, each was verified and kept anew).
      expect(verify.mock.calls.map(([jwt]) => jwt)).toEqual([token]);
    } finally {
      verify.mockRestore();
    }
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
  it('refuses in production a JWT_SECRET shorter than 256 bits (RFC 7518), which a member could guess from their own token', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a' })).toThrow(/at least 32 bytes \(256 bits\).*got 1/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) })).toThrow(/openssl rand -base64 32/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
    // Outside production a short secret is still taken (tests, a local demo).
    expect(loadConfig({ NODE_ENV: 'development', JWT_SECRET: 's' }).jwtSecret).toBe('s');
  });
  it('refuses a NODE_ENV it does not know (`prod` ran as development: GraphiQL, a generated secret, the demo seed)', () => {
    for (const value of ['prod', 'Production', 'staging']) {
      expect(() => loadConfig({ NODE_ENV: value, JWT_SECRET: 'x'.repeat(32) }), value).toThrow(/NODE_ENV must be one of production, development, test/);
    }
    expect(loadConfig({ JWT_SECRET: 's' }).nodeEnv).toBe('development');
    expect(loadConfig({ NODE_ENV: '', JWT_SECRET: 's' }).nodeEnv).toBe('development');
  });
  it('refuses a DATABASE_URL it cannot use, without repeating it (it holds the password)', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's', DATABASE_URL: 'postgresql://u:secret@@@:notaport/db' })).toThrow(/^DATABASE_URL is not a valid URL: postgresql:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/);
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's', DATABASE_URL: 'postgresql://u:secret@@@:notaport/db' })).not.toThrow(/secret@/);
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's', DATABASE_URL: 'mysql://u:p@h/db' })).toThrow(/must start with file: \(SQLite\) or postgresql:\/\//);
    expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's', DATABASE_URL: 'postgresql://u:p@db:99999999/groups' })).toThrow(/not a valid URL/);
    // What the driver takes is taken: a password percent-encoded, and a Unix socket's folder with no host.
    for (const url of ['postgresql://u:p%40ss@db.internal:5432/groups', 'postgresql://postgres:x@/groups?host=/cloudsql/project:region:instance']) {
      expect(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 's', DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });
  it('uses JWT_SECRET when given, and rejects invalid numbers', () => {
    const secret = 'a-production-secret-of-32-bytes!';
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).jwtSecret).toBe(secret);
    expect(() => loadConfig({ JWT_SECRET: 's', MAX_PAGE_SIZE: 'lots' })).toThrow(/MAX_PAGE_SIZE/);
  });
});
