/**
 * The examples users copy from: the typed client in examples/ run against a started gateway process, and
 * the operations of docs/operations.md, each valid against schema.graphql.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, parse, validate } from 'graphql';
import { tokenFor } from './helpers/gateway.ts';
import { manager } from './helpers/world.ts';
import { postGraphQL, runToEnd, runTsx, startGatewayProcess, stopProcesses, type GatewayProcess } from './helpers/process.ts';

afterAll(stopProcesses);

describe('examples/member-groups.ts, against a running gateway', () => {
  let gw: GatewayProcess;
  let managerToken: string;
  let runnersId: string;

  const asManager = async (query: string, variables?: Record<string, unknown>) => {
    const { json } = await postGraphQL(gw.url, { query, variables }, { token: managerToken });
    expect(json.errors).toBeUndefined();
    return json.data;
  };
  const createGroup = async (name: string, privacy: string, creatorId: string): Promise<string> =>
    (await asManager(`mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }`, { input: { name, privacy, creatorId } }))
      .createGroup.group.id;
  const addMembers = (groupId: string, memberIds: string[]) =>
    asManager(`mutation($g: ID!, $m: [ID!]!) { addGroupMembers(groupId: $g, memberIds: $m) { memberId } }`, { g: groupId, m: memberIds });
  const exampleEnv = async (sub?: string) => ({
    GATEWAY_URL: gw.url,
    ...(sub ? { TOKEN: (await tokenFor({ sub }))! } : {}),
  });

  beforeAll(async () => {
    gw = await startGatewayProcess();
    managerToken = (await tokenFor(manager))!;
    runnersId = await createGroup('Morning Runners', 'PUBLIC', 'ex-alice');
    const readers = await createGroup('Quiet Readers', 'PRIVATE', 'ex-bob');
    await addMembers(readers, ['ex-alice']);
    await createGroup('Hidden Council', 'SECRET', 'ex-bob');
  }, 60_000);

  it("lists the token's member's groups, with roles and member counts", async () => {
    const run = await runToEnd(['examples/member-groups.ts'], await exampleEnv('ex-alice'));
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('ex-alice belongs to 2 group(s):');
    expect(lines.slice(1).sort()).toEqual(['  Morning Runners (PUBLIC, 1 members) as ADMIN', '  Quiet Readers (PRIVATE, 2 members) as MEMBER']);
  });

  it('runs anonymously without a token, and fails readably with a bad one', async () => {
    const anonymous = await runToEnd(['examples/member-groups.ts'], await exampleEnv());
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout.trim()).toBe('anonymous belongs to 0 group(s):');

    const refused = await runToEnd(['examples/member-groups.ts'], { GATEWAY_URL: gw.url, TOKEN: 'not-a-token' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('The gateway refused');
    expect(refused.stderr).toContain('UNAUTHENTICATED');
  });

  it('--follow prints the live events of the member’s groups', async () => {
    const follower = runTsx(['examples/member-groups.ts', '--follow'], await exampleEnv('ex-alice'));
    await follower.waitFor('Following live events');
    // The subscription is open once the gateway counts it (its metrics say so).
    const subscribed = async () => /gateway_live_subscribers\{transport="ws"\} 1/.test(await (await fetch(`${gw.origin}/metrics`)).text());
    for (let attempt = 0; !(await subscribed()); attempt++) {
      if (attempt > 100) throw new Error(`The example did not subscribe:\n${follower.stdout()}\n${follower.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await addMembers(runnersId, ['ex-carol']);
    await follower.waitFor("memberId: 'ex-carol'");
    expect(follower.stdout()).toContain("type: 'MEMBER_ADDED'");
    expect(follower.stdout()).toContain(`groupId: '${runnersId}'`);
    follower.stop();
    await follower.exited;
  });
});

describe('docs/operations.md', () => {
  it('holds only operations that are valid against schema.graphql', () => {
    const schema = buildSchema(fs.readFileSync('schema.graphql', 'utf8'));
    const markdown = fs.readFileSync('docs/operations.md', 'utf8');
    const blocks = [...markdown.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const block of blocks) {
      const errors = validate(schema, parse(block)).map((error) => error.message);
      expect({ block, errors }).toEqual({ block, errors: [] });
    }
  });

  it('is linked from the README', () => {
    expect(fs.readFileSync('README.md', 'utf8')).toContain('docs/operations.md');
  });
});
