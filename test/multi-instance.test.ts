/**
 * Several gateway processes on one database see each other's writes at once: no instance keeps state of its
 * own that could go stale (the loaders live for one request; visibility is read from the database each time).
 * This is what lets a site run several instances behind a load balancer on PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tokenFor } from './helpers/gateway.ts';
import { postGraphQL, startGatewayProcess, stopProcesses } from './helpers/process.ts';
import { TEST_DATABASE } from './helpers/database.ts';

afterEach(() => stopProcesses());

async function send(url: string, sub: string | null, query: string, variables?: Record<string, unknown>, manager = false) {
  const token = sub ? await tokenFor({ sub, manager }) : null;
  const { json } = await postGraphQL(url, { query, variables }, { token });
  if (json.errors) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
  return json;
}

describe(`two gateway processes on one ${TEST_DATABASE} database`, () => {
  it('each reads what the other wrote, at once', async () => {
    const a = await startGatewayProcess();
    const b = await startGatewayProcess({ DATABASE_URL: a.databaseUrl });

    const created = await send(a.url, 'boss', `mutation { createGroup(input: { name: "Shared", privacy: SECRET, creatorId: "alice" }) { group { id } } }`, undefined, true);
    const groupId = created.data.createGroup.group.id;

    // Instance B sees the secret group as its admin does, and hides it from an outsider, immediately.
    const asAlice = await send(b.url, 'alice', `query($id: ID!) { group(id: $id) { name viewerRole membersCount } }`, { id: groupId });
    expect(asAlice.data.group).toEqual({ name: 'Shared', viewerRole: 'ADMIN', membersCount: 1 });
    expect((await send(b.url, 'mallory', `query($id: ID!) { group(id: $id) { id } }`, { id: groupId })).data.group).toBeNull();

    // A write on B (adding a member) is what A answers next, visibility included.
    await send(b.url, 'alice', `mutation($id: ID!) { addGroupMembers(groupId: $id, memberIds: ["bob"]) { memberId } }`, { id: groupId });
    const asBob = await send(a.url, 'bob', `query($id: ID!) { group(id: $id) { viewerRole membersCount } groups { totalCount } }`, { id: groupId });
    expect(asBob.data).toEqual({ group: { viewerRole: 'MEMBER', membersCount: 2 }, groups: { totalCount: 1 } });

    // And a removal on A hides the group from that member on B at once.
    await send(a.url, 'alice', `mutation($id: ID!) { removeGroupMembers(groupId: $id, memberIds: ["bob"]) { removedMemberIds } }`, { id: groupId });
    expect((await send(b.url, 'bob', `query($id: ID!) { group(id: $id) { id } }`, { id: groupId })).data.group).toBeNull();
  }, 90_000);
});
