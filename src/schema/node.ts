/**
 * Relay's object identification: the Node interface. Relay refetches a fragment, and pages a connection
 * inside one (usePaginationFragment), through `node(id:)`, so a fragment on a type is @refetchable only when
 * the type is a Node. Groups, join requests and create requests are: each keeps the id every other field and
 * argument takes (`group(id:)`, CreateRequest.id in approveCreateRequests). Their ids (cuid2) are unique across
 * the three tables, so an id names one object without a type prefix. `node` and `nodes` are declared with the
 * group lookups (groups.ts).
 */
import { builder } from '../builder.ts';

export const Node = builder.interfaceRef<{ id: string }>('Node').implement({
  description:
    'An object with an id, for Relay’s refetching (`node(id:)`): a Group, a JoinRequest or a CreateRequest, by the id its other fields and arguments take.',
  fields: (t) => ({ id: t.exposeID('id') }),
  // Told apart by a column only one of the three rows has (a new implementer must be told apart here too).
  resolveType: (node) => ('slug' in node ? 'Group' : 'requestedBy' in node ? 'CreateRequest' : 'JoinRequest'),
});
