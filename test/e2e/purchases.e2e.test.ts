import { Types, type mongo } from 'mongoose';
import { ledgerEntryModel } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel } from '@omo/points/src/models/point-account.model';
import { verifyLedger } from '@omo/points/src/services/ledger-verify';
import { idFromKey } from '@omo/purchases/src/services/idempotency';
import { startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) {
      id status subtotal discount pointsApplied amountPaid pointsEarned pointsRedeemed
      store { code }
      member { displayName points { balance tier } }
    }
  }
`;
const REFUND = /* GraphQL */ `
  mutation Refund($input: RefundPurchaseInput!) {
    refundPurchase(input: $input) {
      status refundedAmount pointsEarned pointsRedeemed
      lines { sku refundedQuantity }
      refunds { amount lines { sku quantity amount } pointsSettled }
      member { points { balance } }
    }
  }
`;

interface Recorded {
  recordPurchase: { id: string; status: string; pointsEarned: number; pointsRedeemed: number; member: { points: { balance: number } } };
}

let system: TestSystem;
let storeId: string;
let otherStoreId: string;
let pos: Record<string, string>;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, monitorCommands: true });
  const create = (input: Record<string, unknown>) =>
    system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input }, system.adminHeaders());
  storeId = (await create({ code: 'S001', name: '新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' })).data!.createStore.id;
  otherStoreId = (await create({ code: 'S002', name: '渋谷店', kind: 'PHYSICAL' })).data!.createStore.id;
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system.close());

let sequence = 0;
async function registerAtStore(): Promise<{ id: string; memberCode: string }> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
    { input: { displayName: `来店${sequence}`, phone: `090-1000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    pos,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember;
}

const teaAndCup = (key: string, memberCode: string | null, pointsToRedeem = 0) => ({
  idempotencyKey: key,
  storeId,
  memberCode,
  externalId: `R-${key}`,
  lines: [
    { sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2, category: 'tea' },
    { sku: 'CUP-01', name: '信楽焼 湯呑み', unitPrice: 3300, quantity: 1, category: 'tableware' },
  ],
  discount: 500,
  total: 5360,
  pointsToRedeem,
});

async function countIn(collection: string, filter: Record<string, unknown> = {}): Promise<number> {
  return system.db.collection(collection).countDocuments(filter);
}

/**
 * What a request that died right after queueing its outbox item leaves behind, once the worker has given the item
 * up: the record it waited for never appeared within a request's time (the item is aged instead of waiting).
 */
async function crashedAfterQueueing(key: string, type: string, payload: Record<string, unknown>): Promise<void> {
  const outbox = system.subgraphs.purchases.built.outbox;
  await outbox.enqueue(key, type, payload);
  await system.db.collection<{ _id: string }>('purchases_outbox').updateOne({ _id: key }, { $set: { createdAt: new Date(Date.now() - 120_000) } });
  await outbox.drain();
  expect(await outbox.find(key)).toMatchObject({ doneAt: expect.any(Date), result: { dropped: expect.any(String) } });
}

describe('the POS flow through the gateway', () => {
  it('records a purchase with redemption and returns points earned, redeemed and the new balance in one response; a partial refund adjusts them', async () => {
    const member = await registerAtStore(); // 100 points sign-up bonus
    const recorded = await system.graphql<Recorded>(RECORD, { input: teaAndCup('reg1-0001', member.memberCode, 60) }, pos);
    expect(recorded.errors).toBeUndefined();
    expect(recorded.data).toEqual({
      recordPurchase: {
        id: expect.any(String),
        status: 'COMPLETED',
        subtotal: 5860,
        discount: 500,
        pointsApplied: 60,
        amountPaid: 5300,
        pointsEarned: 53,
        pointsRedeemed: 60,
        store: { code: 'S001' },
        member: { displayName: expect.stringMatching(/^来店/), points: { balance: 93, tier: 'REGULAR' } },
      },
    });
    const purchaseId = recorded.data!.recordPurchase.id;

    // the cup comes back: its share of the total (3300 of 5860 → 3018 yen), the points it earned (its share of the
    // 5300 yen paid, 2984 yen: the tea's 23.15 floored to 23, the cup 53 − 23), the redeemed points by the yen
    const refunded = await system.graphql(REFUND, { input: { purchaseId, idempotencyKey: 'ret-1', lines: [{ sku: 'CUP-01', quantity: 1 }] } }, pos);
    expect(refunded.errors).toBeUndefined();
    expect(refunded.data).toEqual({
      refundPurchase: {
        status: 'PARTIALLY_REFUNDED',
        refundedAmount: 3018,
        pointsEarned: 23, // 53 − 30
        pointsRedeemed: 27, // 60 − floor(60 × 3018 / 5360) = 60 − 33
        lines: [
          { sku: 'TEA-01', refundedQuantity: 0 },
          { sku: 'CUP-01', refundedQuantity: 1 },
        ],
        refunds: [{ amount: 3018, lines: [{ sku: 'CUP-01', quantity: 1, amount: 3018 }], pointsSettled: true }],
        member: { points: { balance: 96 } },
      },
    });
    // stats for segments: the refund takes its share of the money paid (5300 × 3018 / 5360 = 2984) off the spend
    const summary = await system.graphql(
      'query($id: ID!) { member(id: $id) { purchaseSummary { count totalSpent storeCount onlineCount storesVisited { code } } } }',
      { id: member.id },
      system.adminHeaders(),
    );
    expect(summary.data).toEqual({ member: { purchaseSummary: { count: 1, totalSpent: 2316, storeCount: 1, onlineCount: 0, storesVisited: [{ code: 'S001' }] } } });
  });

  it('records and settles a purchase once when the register replays it 20 times at once', async () => {
    const member = await registerAtStore();
    const responses = await Promise.all(Array.from({ length: 20 }, () => system.graphql<Recorded>(RECORD, { input: teaAndCup('reg1-0002', member.memberCode) }, pos)));
    expect(responses.every((r) => r.errors === undefined && r.data!.recordPurchase.status === 'COMPLETED')).toBe(true);
    expect(new Set(responses.map((r) => r.data!.recordPurchase.id)).size).toBe(1);
    expect(responses.map((r) => r.data!.recordPurchase.member.points.balance)).toEqual(Array(20).fill(153));
    expect(await countIn('purchases', { idempotencyKey: 'reg1-0002' })).toBe(1);
    expect(await countIn('point_ledger', { memberId: member.id, type: 'EARN' })).toBe(1);
  });

  it('keeps a purchase PENDING_POINTS while points is down and completes it once when it returns', async () => {
    const member = await registerAtStore();
    await system.stop('points');
    const pending = await system.graphql<{ recordPurchase: { id: string; status: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
      { input: teaAndCup('reg1-0003', member.memberCode) },
      pos,
    );
    expect(pending.data!.recordPurchase.status).toBe('PENDING_POINTS');
    await system.restart('points');
    const outbox = system.subgraphs.purchases.built.outbox;
    await system.db.collection('purchases_outbox').updateMany({}, { $set: { nextAttemptAt: new Date(0) } });
    await outbox.drain();
    await outbox.drain();
    const read = await system.graphql<{ purchase: { status: string; pointsEarned: number } }>('query($id: ID!) { purchase(id: $id) { status pointsEarned } }', { id: pending.data!.recordPurchase.id }, pos);
    expect(read.data!.purchase).toEqual({ status: 'COMPLETED', pointsEarned: 53 });
    expect(await countIn('point_ledger', { memberId: member.id, type: 'EARN' })).toBe(1);
    const points = system.subgraphs.points.connection;
    expect((await verifyLedger(ledgerEntryModel(points), pointAccountModel(points))).problems).toEqual([]);
  });

  it('never acknowledges a redeeming purchase as PENDING_POINTS: SERVICE_UNAVAILABLE until a resend learns its outcome', async () => {
    const member = await registerAtStore();
    const input = teaAndCup('reg1-0006', member.memberCode, 60);
    await system.stop('points');
    const unconfirmed = await system.graphql<Recorded>(RECORD, { input }, pos);
    expect(unconfirmed.data).toBeNull();
    expect(unconfirmed.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await countIn('purchases', { memberId: member.id, state: 'PENDING_POINTS' })).toBe(1);
    await system.restart('points');

    const resent = await system.graphql<Recorded>(RECORD, { input }, pos);
    expect(resent.errors).toBeUndefined();
    expect(resent.data!.recordPurchase).toMatchObject({ status: 'COMPLETED', pointsRedeemed: 60 });
    expect(await countIn('point_ledger', { memberId: member.id, type: 'REDEEM' })).toBe(1);
  });

  it('settles a purchase whose first request died between queueing its settlement and storing it, when the register retries after the worker gave the settlement up', async () => {
    const member = await registerAtStore();
    const input = teaAndCup('reg1-0004', member.memberCode);
    const purchaseId = idFromKey(`purchase:${storeId}:${input.idempotencyKey}`).toHexString();
    await crashedAfterQueueing(`settle:${purchaseId}`, 'settle', { purchaseId });

    const retried = await system.graphql<Recorded>(RECORD, { input }, pos);
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.recordPurchase).toMatchObject({ id: purchaseId, status: 'COMPLETED', pointsEarned: 53, member: { points: { balance: 153 } } });
    expect(await countIn('point_ledger', { memberId: member.id, type: 'EARN' })).toBe(1);
  });

  it('completes a purchase whose request stalled between queueing its settlement and storing it while the worker gave the settlement up', async () => {
    const member = await registerAtStore();
    const input = teaAndCup('reg1-0008', member.memberCode);
    const purchaseId = idFromKey(`purchase:${storeId}:${input.idempotencyKey}`).toHexString();
    const outbox = system.subgraphs.purchases.built.outbox;
    const enqueueItem = outbox.enqueueItem.bind(outbox);
    // the request holds here, its item written and its purchase not yet, while the worker drops the item as abandoned
    outbox.enqueueItem = async (...args) => {
      const written = await enqueueItem(...args);
      await system.db.collection<{ _id: string }>('purchases_outbox').updateOne({ _id: `settle:${purchaseId}` }, { $set: { createdAt: new Date(Date.now() - 120_000) } });
      await outbox.drain();
      expect(await outbox.find(`settle:${purchaseId}`)).toMatchObject({ doneAt: expect.any(Date), result: { dropped: expect.any(String) } });
      return written;
    };
    let recorded: GraphQLResponse<Recorded>;
    try {
      recorded = await system.graphql<Recorded>(RECORD, { input }, pos);
    } finally {
      outbox.enqueueItem = enqueueItem;
    }
    expect(recorded.errors).toBeUndefined();
    expect(recorded.data!.recordPurchase).toMatchObject({ id: purchaseId, status: 'COMPLETED', pointsEarned: 53, member: { points: { balance: 153 } } });
    expect(await countIn('point_ledger', { memberId: member.id, type: 'EARN' })).toBe(1);
  });

  it('re-arms, once it is 5 minutes old, a pending purchase whose outbox item finished without settling it', async () => {
    const member = await registerAtStore();
    await system.stop('points');
    const pending = await system.graphql<Recorded>(RECORD, { input: teaAndCup('reg1-0007', member.memberCode) }, pos);
    await system.restart('points');
    const purchaseId = pending.data!.recordPurchase.id;
    expect(pending.data!.recordPurchase.status).toBe('PENDING_POINTS');
    const key = `settle:${purchaseId}`;
    // the item's result written over its re-arm (a database without atomic conditional updates): done, not settled
    await system.db.collection<{ _id: string }>('purchases_outbox').updateOne({ _id: key }, { $set: { doneAt: new Date() } });
    const sweep = system.subgraphs.purchases.built.settlementSweep;
    const outbox = system.subgraphs.purchases.built.outbox;

    await sweep.rearmStuck();
    expect(await outbox.find(key)).toMatchObject({ doneAt: expect.any(Date) }); // too recent to be called stuck
    await system.db.collection('purchases').updateOne({ _id: new Types.ObjectId(purchaseId) }, { $set: { createdAt: new Date(Date.now() - 10 * 60_000) } });
    expect(await sweep.rearmStuck()).toBe(1);
    await outbox.drain();

    const read = await system.graphql<{ purchase: { status: string; pointsEarned: number } }>('query($id: ID!) { purchase(id: $id) { status pointsEarned } }', { id: purchaseId }, pos);
    expect(read.data!.purchase).toEqual({ status: 'COMPLETED', pointsEarned: 53 });
    expect(await countIn('point_ledger', { memberId: member.id, type: 'EARN' })).toBe(1);
    expect(await sweep.rearmStuck()).toBe(0);
  });

  it('settles the points of a refund whose first request died between queueing the reversal and storing the refund, when it is retried', async () => {
    const member = await registerAtStore();
    const recorded = await system.graphql<Recorded>(RECORD, { input: teaAndCup('reg1-0005', member.memberCode) }, pos);
    const purchaseId = recorded.data!.recordPurchase.id;
    const refundId = idFromKey(`refund:${purchaseId}:ret-1`).toHexString();
    await crashedAfterQueueing(`reverse:${refundId}`, 'reverse', { refundId });

    const retried = await system.graphql(REFUND, { input: { purchaseId, idempotencyKey: 'ret-1', amount: 5360 } }, pos);
    expect(retried.errors).toBeUndefined();
    expect(retried.data).toMatchObject({ refundPurchase: { status: 'REFUNDED', pointsEarned: 0, refunds: [{ pointsSettled: true }], member: { points: { balance: 100 } } } });
  });

  it('lets only the purchase’s store refund it, and a customer see only their own purchases', async () => {
    const [buyer, other] = [await registerAtStore(), await registerAtStore()];
    const recorded = await system.graphql<Recorded>(RECORD, { input: teaAndCup(`auth-${buyer.id}`, buyer.memberCode) }, pos);
    const purchaseId = recorded.data!.recordPurchase.id;

    const otherStorePos = await system.posHeaders([otherStoreId]);
    const refund = await system.graphql(REFUND, { input: { purchaseId, idempotencyKey: 'auth-r1', amount: 100 } }, otherStorePos);
    expect(refund.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(await countIn('refunds', { purchaseId })).toBe(0);

    const READ = 'query($id: ID!) { purchase(id: $id) { id amountPaid } }';
    const own = await system.graphql(READ, { id: purchaseId }, system.customerHeaders(buyer.id));
    expect(own.data).toEqual({ purchase: { id: purchaseId, amountPaid: 5360 } });
    const foreign = await system.graphql(READ, { id: purchaseId }, system.customerHeaders(other.id));
    expect(foreign.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    const history = await system.graphql(`query($id: ID!) { member(id: $id) { purchases { nodes { id } } } }`, { id: buyer.id }, system.customerHeaders(other.id));
    expect(history.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('settles a purchase recorded before its member was merged on the survivor, stranding nothing', async () => {
    const [merged, survivor] = [await registerAtStore(), await registerAtStore()];
    await system.stop('points');
    const pending = await system.graphql<{ recordPurchase: { id: string; status: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
      { input: teaAndCup(`pre-merge-${merged.id}`, merged.memberCode) },
      pos,
    );
    expect(pending.data!.recordPurchase.status).toBe('PENDING_POINTS');
    // the merge moves the points while purchases is down, so its history step waits
    await system.restart('points');
    await system.stop('purchases');
    const merge = await system.graphql('mutation($s: ID!, $m: ID!) { mergeMembers(survivorId: $s, mergedId: $m) { id } }', { s: survivor.id, m: merged.id }, system.adminHeaders());
    expect(merge.errors).toBeUndefined();
    await system.restart('purchases');
    // the purchase settles before the merge re-points history: it must not land on the emptied account
    await system.db.collection('purchases_outbox').updateMany({}, { $set: { nextAttemptAt: new Date(0) } });
    await system.subgraphs.purchases.built.outbox.drain();
    await system.db.collection('members_outbox').updateMany({}, { $set: { nextAttemptAt: new Date(0) } });
    await system.subgraphs.members.built.outbox.drain();

    const balances = await system.graphql<{ a: { points: { balance: number } }; b: { points: { balance: number } } }>(
      'query($a: ID!, $b: ID!) { a: member(id: $a) { points { balance } } b: member(id: $b) { points { balance } } }',
      { a: merged.id, b: survivor.id },
      system.adminHeaders(),
    );
    // both sign-up bonuses and the purchase's 53 points end on the survivor
    expect(balances.data).toEqual({ a: { points: { balance: 0 } }, b: { points: { balance: 253 } } });
    const points = system.subgraphs.points.connection;
    expect((await verifyLedger(ledgerEntryModel(points), pointAccountModel(points))).problems).toEqual([]);
  });

  it.each([
    ['no lines', { lines: [], total: 0, discount: 0 }, 'BAD_USER_INPUT'],
    ['a negative price', { lines: [{ sku: 'X', name: 'x', unitPrice: -100, quantity: 1 }], total: -100, discount: 0 }, 'BAD_USER_INPUT'],
    ['a zero quantity', { lines: [{ sku: 'X', name: 'x', unitPrice: 100, quantity: 0 }], total: 0, discount: 0 }, 'BAD_USER_INPUT'],
    ['a total that does not match', { total: 5000 }, 'BAD_USER_INPUT'],
    ['an unknown store', { storeId: '0123456789abcdef01234567' }, 'FORBIDDEN'],
    ['another store', { storeId: 'OTHER' }, 'FORBIDDEN'],
    ['an unknown member code', { memberCode: '2900000000001' }, 'NOT_FOUND'],
    ['a mistyped member code', { memberCode: '2900000000002' }, 'BAD_USER_INPUT'],
    ['more points than the balance', { pointsToRedeem: 5000 }, 'INSUFFICIENT_POINTS'],
  ])('refuses a purchase with %s with a clear code and stores nothing', async (_label, change, code) => {
    const member = await registerAtStore();
    const key = `bad-${sequence}`;
    const input = { ...teaAndCup(key, member.memberCode), ...change } as Record<string, unknown>;
    if (input.storeId === 'OTHER') input.storeId = otherStoreId;
    const before = { purchases: await countIn('purchases', { state: { $ne: 'REJECTED' } }), ledger: await countIn('point_ledger', { memberId: member.id }) };
    const response = await system.graphql(RECORD, { input }, pos);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe(code);
    expect(await countIn('purchases', { state: { $ne: 'REJECTED' } })).toBe(before.purchases);
    expect(await countIn('point_ledger', { memberId: member.id })).toBe(before.ledger);
  });

  it('lists 50 purchases with member, balance and store at a constant number of queries per subgraph', async () => {
    const member = await registerAtStore();
    const counts: Record<string, number>[] = [];
    for (const n of [5, 50]) {
      const have = await countIn('purchases', { memberId: member.id });
      // a few registers at a time: a settlement still running after its caller timed out would be counted below
      for (let i = have; i < n; i += 5) {
        const results = await Promise.all(
          Array.from({ length: Math.min(5, n - i) }, (_, j) =>
            system.graphql<{ recordPurchase: { id: string } }>(RECORD, { input: { ...teaAndCup(`list-${member.id}-${i + j}`, member.memberCode), externalId: null } }, pos),
          ),
        );
        expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
      }
      // what outlived the internal call's timeout on a loaded machine is settled as the worker would, before counting
      await system.db.collection('purchases_outbox').updateMany({ doneAt: null }, { $set: { nextAttemptAt: new Date(0) } });
      await system.subgraphs.purchases.built.outbox.drain();
      expect(await countIn('purchases', { memberId: member.id, state: { $ne: 'COMPLETED' } })).toBe(0);
      const seen: Record<string, number> = {};
      const listeners = Object.entries(system.subgraphs).map(([name, subgraph]) => {
        const listener = (event: mongo.CommandStartedEvent) => {
          if (['find', 'aggregate'].includes(event.commandName)) seen[name] = (seen[name] ?? 0) + 1;
        };
        subgraph.connection.getClient().on('commandStarted', listener);
        return () => subgraph.connection.getClient().off('commandStarted', listener);
      });
      const response = await system.graphql<{ member: { purchases: { nodes: unknown[] } } }>(
        `query($id: ID!, $n: Int!) { member(id: $id) { purchases(first: $n) { nodes { id amountPaid pointsEarned store { name } member { displayName points { balance } } } } } }`,
        { id: member.id, n },
        system.adminHeaders(),
      );
      listeners.forEach((off) => off());
      expect(response.errors).toBeUndefined();
      expect(response.data!.member.purchases.nodes).toHaveLength(n);
      counts.push(seen);
    }
    expect(counts[1]).toEqual(counts[0]);
    // members: the member(id) root field, then one batched lookup of every purchase's member
    expect(counts[0]!.members).toBe(2);
    // purchases: the page, then one batched store lookup
    expect(counts[0]!.purchases).toBe(2);
  }, 120_000); // 50 purchases through the whole flow: FerretDB scans a table per query
});
