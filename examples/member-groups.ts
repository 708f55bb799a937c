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
  subscription GroupEvents {
    groupEvents { id type groupId memberId role }
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
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  console.log('Following live events (Ctrl-C to stop)…');
  for await (const event of client.iterate({ query: print(GroupEvents) })) {
    console.log(event.data?.groupEvents);
  }
}
