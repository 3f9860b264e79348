import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';

const MEMBER = new Types.ObjectId().toHexString();
const STORE = new Types.ObjectId().toHexString();

let db: TestDatabase;
let subgraph: PointsSubgraph;
beforeAll(async () => {
  db = await openTestDatabase();
  subgraph = buildPointsSubgraph(testBuildOptions(db.connection));
  await ensureIndexes(db.connection);
  await subgraph.apollo.start();
});
afterAll(async () => {
  await subgraph.apollo.stop();
  await db.drop();
});

async function codesFor(caller: Caller): Promise<unknown[]> {
  const contextValue = subgraph.createContext({ caller, requestId: 'test', logger: createLogger('silent') });
  const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Member { coupons { id } } } }';
  const response = await subgraph.apollo.executeOperation({ query, variables: { r: [{ __typename: 'Member', id: MEMBER }] } }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return (response.body.singleResult.errors ?? []).map((e) => e.extensions?.code);
}

describe('Member.coupons', () => {
  it('is for the member themself and staff: not for registers, other members or services', async () => {
    expect(await codesFor({ kind: 'customer', memberId: MEMBER })).toEqual([]);
    expect(await codesFor({ kind: 'staff', staffId: 's1', role: 'STAFF' })).toEqual([]);
    expect(await codesFor({ kind: 'customer', memberId: new Types.ObjectId().toHexString() })).toEqual(['FORBIDDEN']);
    expect(await codesFor({ kind: 'pos', keyId: 'k1', storeIds: [STORE] })).toEqual(['FORBIDDEN']);
    expect(await codesFor({ kind: 'service', service: 'shopify' })).toEqual(['FORBIDDEN']);
  });
});
