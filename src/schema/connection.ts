import type { ObjectRef } from '@pothos/core';
import { builder } from '../builder.ts';
import type { Page } from './pagination.ts';

export const PageInfo = builder
  .objectRef<Page<unknown>['pageInfo']>('PageInfo')
  .implement({
    description:
      'Paging forward: pass endCursor as `after` for the next page, while hasNextPage. Cursors are positions, not rows: one stays valid after its row is deleted or hidden, and only with the list and sort that made it (else BAD_USER_INPUT).',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage', { description: 'Whether rows come after this page. With `first: 0` (only totalCount wanted): whether the list has any row.' }),
      endCursor: t.exposeString('endCursor', {
        nullable: true,
        description: 'The last edge’s cursor; null when the page has no edge (with `first: 0`, go on from the `after` you gave).',
      }),
    }),
  });

/**
 * Declares `<Name>Edge` and `<Name>Connection` for a node type, in the contract's shape:
 * edges { cursor node }, pageInfo { hasNextPage endCursor }, totalCount.
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
