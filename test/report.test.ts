/**
 * `npm run report` (scripts/report.ts) against a started gateway process: totals (secret groups included,
 * as a Groups Manager sees them), the most popular groups by members, the idlest by recent activity, as a
 * table or as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, tokenFor } from './helpers/gateway.ts';
import { manager } from './helpers/world.ts';
import { freePort, postGraphQL, runToEnd, startGatewayProcess, stopProcesses, type GatewayProcess } from './helpers/process.ts';

afterAll(stopProcesses);

describe('npm run report', () => {
  let gw: GatewayProcess;
  /** The report as it runs for users: the gateway's secret in its environment, the URL as an option. */
  const report = (args: string[]) => runToEnd(['scripts/report.ts', '--url', gw.url, ...args], { NODE_ENV: 'test', JWT_SECRET: TEST_SECRET });

  beforeAll(async () => {
    gw = await startGatewayProcess();
    const token = (await tokenFor(manager))!;
    const send = async (query: string, variables: Record<string, unknown>) => {
      const { json } = await postGraphQL(gw.url, { query, variables }, { token });
      expect(json.errors).toBeUndefined();
      return json.data;
    };
    const create = async (name: string, privacy: string) =>
      (await send(`mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`, { input: { name, privacy, creatorId: `${name}-admin` } }))
        .createGroup.group.id as string;
    const add = (groupId: string, memberIds: string[]) =>
      send(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: memberIds });

    // Activity, oldest first: Anglers (created, then nothing), Gardeners (+1 member), Bakers (+3 members).
    await create('Alpha Anglers', 'PUBLIC');
    const bakers = await create('Beta Bakers', 'PRIVATE');
    const gardeners = await create('Gamma Gardeners', 'SECRET');
    await add(gardeners, ['g1']);
    await add(bakers, ['b1', 'b2', 'b3']);
  }, 60_000);

  it('--json: total groups (secret ones too), most popular by members, idlest by recent activity', async () => {
    const run = await report(['--json', '--top', '3']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ gateway: gw.url, totalGroups: 3, byPrivacy: { PUBLIC: 1, PRIVATE: 1, SECRET: 1 } });
    expect(Date.parse(result.generatedAt)).not.toBeNaN();
    expect(result.mostPopular.map((g: any) => [g.name, g.membersCount])).toEqual([
      ['Beta Bakers', 4],
      ['Gamma Gardeners', 2],
      ['Alpha Anglers', 1],
    ]);
    expect(result.idlest.map((g: any) => g.name)).toEqual(['Alpha Anglers', 'Gamma Gardeners', 'Beta Bakers']);
    expect(result.mostPopular[0]).toMatchObject({ slug: 'beta-bakers', privacy: 'PRIVATE', recentActivityAt: expect.any(String) });
  });

  it('prints a readable table, limited by --top', async () => {
    const run = await report(['--top', '2']);
    expect(run.code).toBe(0);
    const text = run.stdout;
    expect(text).toContain('Total groups: 3 (1 public, 1 private, 1 secret)');
    const [popular, idle] = text.split(/^Idlest/m);
    expect(popular).toMatch(/Most popular \(by members, top 2\)/);
    expect(popular).toMatch(/#\s+Group\s+Privacy\s+Members\s+Last activity \(UTC\)/);
    expect(popular).toMatch(/1\s+Beta Bakers\s+private\s+4\s+\d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(popular).toMatch(/2\s+Gamma Gardeners\s+secret\s+2/);
    expect(popular).not.toContain('Alpha Anglers');
    expect(idle).toMatch(/1\s+Alpha Anglers\s+public\s+1/);
    expect(idle).toMatch(/2\s+Gamma Gardeners/);
    expect(idle).not.toContain('Beta Bakers');
  });

  it('says what is wrong: bad options, an unreachable gateway, a token the gateway refuses', async () => {
    const badTop = await report(['--top', '0']);
    expect(badTop.code).toBe(2);
    expect(badTop.stderr).toContain('--top');
    expect(badTop.stderr).toContain('Usage: npm run report');

    const unreachable = await runToEnd(['scripts/report.ts', '--url', `http://127.0.0.1:${await freePort()}/graphql`], { JWT_SECRET: TEST_SECRET, NODE_ENV: 'test' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Cannot reach the gateway');

    const wrongSecret = await runToEnd(['scripts/report.ts', '--url', gw.url], { JWT_SECRET: 'another-secret', NODE_ENV: 'test' });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toContain('The gateway refused the report');
  });
});
