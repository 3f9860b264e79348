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

async function couponAs(caller: Caller, id: string) {
  const contextValue = subgraph.createContext({ caller, requestId: 'test', logger: createLogger('silent') });
  const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Coupon { id code state } } }';
  const response = await subgraph.apollo.executeOperation({ query, variables: { r: [{ __typename: 'Coupon', id }] } }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const { data, errors } = response.body.singleResult;
  return { data: (data as { _entities: unknown[] } | undefined)?._entities, codes: (errors ?? []).map((e) => e.extensions?.code) };
}

describe('the Coupon entity (Purchase.coupons)', () => {
  it('resolves for its member, staff and registers where it is valid; refuses others', async () => {
    const id = new Types.ObjectId();
    const now = new Date();
    await db.connection.collection('coupons').insertOne({
      _id: id, code: 'ABCDEFGHJKMNPQRS', memberId: MEMBER, redeemKey: `reward:${MEMBER}:k`, rewardId: new Types.ObjectId().toHexString(), rewardRevision: 1,
      nameJa: '券', nameEn: 'Coupon', pointsCost: 100, benefit: { kind: 'YEN_OFF', yenOff: 100, percentOff: null, capYen: null, sku: null },
      storeIds: [STORE], online: false, state: 'ISSUED', issuedAt: now, expiresAt: now, endedAt: null,
    });
    const found = { data: [{ id: id.toHexString(), code: 'ABCDEFGHJKMNPQRS', state: 'ISSUED' }], codes: [] };
    expect(await couponAs({ kind: 'customer', memberId: MEMBER }, id.toHexString())).toEqual(found);
    expect(await couponAs({ kind: 'staff', staffId: 's1', role: 'STAFF' }, id.toHexString())).toEqual(found);
    expect(await couponAs({ kind: 'pos', keyId: 'k1', storeIds: [STORE] }, id.toHexString())).toEqual(found);
    expect((await couponAs({ kind: 'pos', keyId: 'k2', storeIds: [new Types.ObjectId().toHexString()] }, id.toHexString())).codes).toEqual(['FORBIDDEN']);
    expect((await couponAs({ kind: 'customer', memberId: new Types.ObjectId().toHexString() }, id.toHexString())).codes).toEqual(['FORBIDDEN']);
    expect(await couponAs({ kind: 'staff', staffId: 's1', role: 'STAFF' }, new Types.ObjectId().toHexString())).toEqual({ data: [null], codes: [] });
  });
});

describe('Member.coupons', () => {
  it('is for the member themself and staff: not for registers, other members or services', async () => {
    expect(await codesFor({ kind: 'customer', memberId: MEMBER })).toEqual([]);
    expect(await codesFor({ kind: 'staff', staffId: 's1', role: 'STAFF' })).toEqual([]);
    expect(await codesFor({ kind: 'customer', memberId: new Types.ObjectId().toHexString() })).toEqual(['FORBIDDEN']);
    expect(await codesFor({ kind: 'pos', keyId: 'k1', storeIds: [STORE] })).toEqual(['FORBIDDEN']);
    expect(await codesFor({ kind: 'service', service: 'shopify' })).toEqual(['FORBIDDEN']);
  });
});
