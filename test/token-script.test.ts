/**
 * `npm run token` (scripts/token.ts): the token it prints carries what the options say, `--help` prints the
 * usage, and a wrong option is one line naming it, the usage and exit code 2 (no stack trace).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from './helpers/gateway.ts';
import { runToEnd, stopProcesses } from './helpers/process.ts';

afterAll(stopProcesses);

const token = (args: string[], env: Record<string, string> = {}) =>
  runToEnd(['scripts/token.ts', ...args], { NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, ...env });
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.trim().split('.')[1], 'base64url').toString());

describe('npm run token', () => {
  it('signs sub, name and the manager role', async () => {
    const run = await token(['--sub', 'alice', '--name', 'Alice Liddell', '--manager', '--expires', '10m']);
    expect(run.code).toBe(0);
    const payload = claims(run.stdout);
    expect(payload).toMatchObject({ sub: 'alice', name: 'Alice Liddell', roles: ['groups-manager'] });
    expect(payload.exp - payload.iat).toBe(600);
  });

  it('signs with the issuer, audience, roles claim and name claim the gateway checks', async () => {
    const run = await token(['--sub', 'boss', '--manager', '--name', 'The Boss'], {
      JWT_ISSUER: 'groups-site',
      JWT_AUDIENCE: 'groups-gateway',
      JWT_ROLES_CLAIM: 'app_roles',
      JWT_NAME_CLAIM: 'nickname',
    });
    expect(run.code).toBe(0);
    const payload = claims(run.stdout);
    expect(payload).toMatchObject({ sub: 'boss', iss: 'groups-site', aud: 'groups-gateway', app_roles: ['groups-manager'], nickname: 'The Boss' });
    expect(payload.roles).toBeUndefined();
    expect(payload.name).toBeUndefined();
  });

  it('prints no token when the gateway takes them from an identity provider', async () => {
    const run = await token(['--sub', 'alice'], { JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/identity provider \(JWT_JWKS_URL is set\)/);
  });

  it('says what is wrong with the configuration in one line, with no stack trace', async () => {
    const mistakes: Record<string, string>[] = [
      { NODE_ENV: 'production', JWT_SECRET: '' },
      { NODE_ENV: 'production', JWT_SECRET: 'short' },
      { MAX_PAGE_SIZE: 'many' },
    ];
    for (const env of mistakes) {
      const run = await token(['--sub', 'alice'], env);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^Cannot start: (JWT_SECRET|MAX_PAGE_SIZE) must be/);
    }
  });

  it('prints the usage on --help', async () => {
    const run = await token(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run token -- --sub <memberId>/);
    expect(run.stdout).toContain('--name');
  });

  it('refuses a wrong option with one line and the usage, exit code 2', async () => {
    for (const args of [['--frob'], ['alice'], [], ['--sub', 'alice', '--expires', 'soon']]) {
      const run = await token(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/^Usage: npm run token/);
      expect(run.stderr).not.toMatch(/\bat \S+ \(|ERR_PARSE_ARGS/);
    }
  });
});
