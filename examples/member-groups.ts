/**
 * A typed client of the gateway: lists a member's groups, then follows their live events.
 *
 *   GATEWAY_URL=http://localhost:4000/graphql TOKEN=$(npm run -s token -- --sub alice) npm run example [-- --follow]
 *
 * Operation types come from examples/gql/, generated from schema.graphql by `npm run codegen` (which
 * `npm run example` runs first).
 */
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';
import type { GroupEventsSubscription, GroupEventsSubscriptionVariables } from './gql/graphql.ts';

const url = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
const token = process.env.TOKEN;

const MyGroups = graphql(`
  query MyGroups($first: Int) {
    viewer {
      memberId
      memberships(first: $first) {
        totalCount
        edges { node { role group { name privacy membersCount } } }
      }
    }
  }
`);

const GroupEvents = graphql(`
  subscription GroupEvents($after: ID) {
    groupEvents(after: $after) { id type groupId memberId role }
  }
`);

const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query: print(MyGroups), variables: { first: 20 } }),
});
const { data, errors } = (await response.json()) as { data?: import('./gql/graphql.ts').MyGroupsQuery; errors?: unknown };
if (errors || !data) throw new Error(`The gateway refused: ${JSON.stringify(errors)}`);
console.log(`${data.viewer.memberId ?? 'anonymous'} belongs to ${data.viewer.memberships.totalCount} group(s):`);
for (const { node } of data.viewer.memberships.edges) {
  console.log(`  ${node.group.name} (${node.group.privacy}, ${node.group.membersCount} members) as ${node.role}`);
}

if (process.argv.includes('--follow')) {
  // Resumes after the last event handled whenever the stream stops (a lost connection, a restart, a server
  // that ended it): graphql-ws's own retries would subscribe again without `after`, so they are off.
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  let after: string | null = null;
  console.log('Following live events (Ctrl-C to stop)…');
  for (;;) {
    try {
      const variables: GroupEventsSubscriptionVariables = { after };
      for await (const event of client.iterate<GroupEventsSubscription>({ query: print(GroupEvents), variables })) {
        if (event.errors) console.error('The gateway refused:', JSON.stringify(event.errors));
        const groupEvent = event.data?.groupEvents;
        if (!groupEvent) continue;
        after = groupEvent.id;
        console.log(groupEvent);
      }
    } catch (error) {
      // A close of the socket comes as its event (code, reason), a refused operation as its errors.
      const close = error as { code?: number; reason?: string };
      const why = error instanceof Error ? error.message : close.code ? `closed ${close.code} ${close.reason ?? ''}` : JSON.stringify(error);
      console.error(`The stream stopped (${why.trim()}); resuming.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
