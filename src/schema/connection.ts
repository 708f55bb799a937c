import type { ObjectRef } from '@pothos/core';
import { builder } from '../builder.ts';
import type { Page } from './pagination.ts';

export const PageInfo = builder
  .objectRef<Page<unknown>['pageInfo']>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', { nullable: true }),
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
