/**
 * GraphiQL outside production: a first query that works for anyone, and the Headers tab already holding
 * the `authorization` header, empty (= anonymous), where a token from `npm run token` goes.
 *
 * Served whole from this server (Yoga's own page loads GraphiQL's scripts from a public CDN, unpkg, with
 * no integrity check: a script that could read the token typed into the Headers tab). The page is about
 * 9 MB, every script inline; it works without internet access.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

export const GRAPHIQL_DEFAULT_QUERY = `# Groups gateway: what you see depends on who you are.
#
# Anonymous: run this as it is (the empty authorization header below means "no token").
# Signed in: print a token and put it in the Headers tab as { "authorization": "Bearer <token>" }:
#   npm run token -- --sub alice              a site member (alice admins Morning Yoga)
#   npm run token -- --sub manager --manager  a Groups Manager (sees secret groups too)
# More operations for each kind of viewer: docs/operations.md

query Overview {
  viewer {
    memberId
    isGroupsManager
    memberships(first: 5) { totalCount edges { node { role group { name privacy } } } }
  }
  groups(first: 10, sort: [{ field: MEMBERS_COUNT, order: DESC }]) {
    totalCount
    edges { node { name slug privacy membersCount viewerRole viewerCan { join requestToJoin viewContent } } }
  }
}
`;

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Groups gateway',
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  headers: JSON.stringify({ authorization: '' }, null, 2),
  // Tokens typed into the Headers tab stay out of the browser's storage.
  shouldPersistHeaders: false,
};

let page: Promise<string> | null = null;

/**
 * The GraphiQL page, from @graphql-yoga/render-graphiql (GraphiQL with its scripts bundled). Loaded on the
 * first request for it, and rendered once: in production it is never asked for, so never loaded.
 */
export function renderLocalGraphiQL(options: GraphiQLOptions): Promise<string> {
  page ??= import('@graphql-yoga/render-graphiql').then(
    ({ renderGraphiQL }) => renderGraphiQL(options),
    (error: unknown) => {
      page = null; // the next request tries again
      throw error;
    },
  );
  return page;
}
