import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, ok, startGateway, type TestGateway } from './helpers/gateway.ts';
import { anonymous, member, outsider, threeGroups } from './helpers/world.ts';
import { graphql } from './gql/index.ts';

const GroupIds = graphql(`
  query GroupIds {
    groups { totalCount edges { node { id } } }
  }
`);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

describe('harness', () => {
  it('lists groups per viewer', async () => {
    const groups = await threeGroups(gw);
    const list = async (viewer: typeof member) => ok(await gw.as(viewer)(GroupIds)).groups;
    expect((await list(anonymous)).totalCount).toBe(2);
    expect((await list(outsider)).totalCount).toBe(2);
    expect((await list(member)).totalCount).toBe(3);
    expect((await list(member)).edges.map((e) => e.node.id)).toContain(groups.SECRET.id);
    expect(codes(await gw.as({ token: 'nope' })(`{ viewer { memberId } }`))).toEqual(['UNAUTHENTICATED']);
  });
});
