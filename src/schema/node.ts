/**
 * Relay's object identification: the Node interface. Relay refetches a fragment, and pages a connection
 * inside one (usePaginationFragment), through `node(id:)`, so a fragment on a type is @refetchable only when
 * the type is a Node. Groups are: their id is the one every other field and argument takes (`group(id:)`).
 * `node` and `nodes` are declared with the group lookups (groups.ts), and answer as `group(id:)` does.
 */
import { builder } from '../builder.ts';

export const Node = builder.interfaceRef<{ id: string }>('Node').implement({
  description:
    'An object with an id, for Relay’s refetching (`node(id:)`). Groups are the only nodes; a group’s id is the one `group(id:)` takes.',
  fields: (t) => ({ id: t.exposeID('id') }),
  // Groups alone implement it (a new implementer must be told apart here).
  resolveType: () => 'Group',
});
