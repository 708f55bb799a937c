import type { ArgBuilder, ObjectRef, SchemaTypes } from '@pothos/core';
import { builder } from '../builder.ts';
import type { Page } from './pagination.ts';

export const PageInfo = builder
  .objectRef<Page<unknown>['pageInfo']>('PageInfo')
  .implement({
    description:
      'Paging forward: pass endCursor as `after` for the next page, while hasNextPage. Paging backward: pass startCursor as `before` with `last` for the page before, while hasPreviousPage. Cursors are positions, not rows: one stays valid after its row is deleted or hidden, and only with the list and sort that made it (else BAD_USER_INPUT).',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage', {
        description:
          'Paging forward (`first`): whether rows come after this page (before `before`, when given). With `first: 0` (only totalCount wanted): whether the list has any row. Paging backward (`last`): false.',
      }),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
        description:
          'Paging backward (`last`): whether rows come before this page (after `after`, when given). With `last: 0`: whether the list has any row. Paging forward (`first`): false, as the Relay connection spec allows: the page before is the one you came from.',
      }),
      startCursor: t.exposeString('startCursor', {
        nullable: true,
        description: 'The first edge’s cursor, to pass as `before` for the page before; null when the page has no edge.',
      }),
      endCursor: t.exposeString('endCursor', {
        nullable: true,
        description: 'The last edge’s cursor, to pass as `after` for the next page; null when the page has no edge (with `first: 0`, go on from the `after` you gave).',
      }),
    }),
  });

/**
 * Declares `<Name>Edge` and `<Name>Connection` for a node type, in the contract's shape:
 * edges { cursor node }, pageInfo { hasNextPage endCursor }, totalCount; pageInfo also has Relay's
 * hasPreviousPage and startCursor, which Relay's compiler requires of a connection's page info.
 */
export function connectionOf<T>(name: string, node: ObjectRef<any, T>) {
  const Edge = builder.objectRef<Page<T>['edges'][number]>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (page) => page.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
      totalCount: t.int({ resolve: (page) => page.totalCount() }),
    }),
  });
}

/**
 * A connection's paging arguments, Relay's four: `first` rows after `after`, or the `last` rows before
 * `before` (schema/pagination.ts, pageWindow). A field adds its own (a filter, `offset`) beside them.
 */
export function pageArgs<Types extends SchemaTypes>(arg: ArgBuilder<Types>) {
  return {
    first: arg.int(),
    after: arg.string(),
    last: arg.int({ description: 'Pages backward: the last rows (before `before`, when given), in the list’s own order. Not with `first`.' }),
    before: arg.string({ description: 'A cursor (a page’s startCursor, or any edge’s): only rows before it. With `last`, the page before it.' }),
  };
}
