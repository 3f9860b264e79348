import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { SERVICE_IDENTITY_HEADER } from '@omo/lib/core/auth';
import type { LeaseDoc } from '@omo/lib/core/claims';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { purchaseIdFor } from '@omo/purchases/src/services/idempotency';
import { MembersClient } from '@omo/purchases/src/services/members.client';
import { settlementHandlers } from '@omo/purchases/src/services/points-settlement';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * Coupons at the register, through the gateway with a POS key: a member's ¥500 coupon taken off a sale and
 * consumed once, whatever registers present it at the same moment, and a refused code writing nothing.
 */
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) {
      id status subtotal discount couponDiscount pointsApplied amountPaid pointsEarned pointsRedeemed
      member { id }
      coupons { code discount coupon { id state usedAt } }
    }
  }
`;
const REFUND = 'mutation ($input: RefundPurchaseInput!) { refundPurchase(input: $input) { status refundedAmount refunds { amount } } }';
const ADJUST = 'mutation ($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "top up", idempotencyKey: $key) { account { balance } } }';
const BALANCE = 'query ($id: ID!) { member(id: $id) { points { balance } } }';
const COUPON = 'query ($code: String!) { couponByCode(code: $code) { id state purchaseId } }';

/** purchases' outbox items: a member's purchase queues its settlement before it is stored. */
const OUTBOX = 'purchases_outbox';

let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;
let rewardId: string;
let counter = 0;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = ok(await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "S001", name: "OMO 新宿店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders())).createStore.id;
  pos = await system.posHeaders([storeId]);
  const reward = await system.graphql<{ createReward: { id: string } }>(
    'mutation ($input: RewardInput!) { createReward(input: $input) { id } }',
    { input: { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 }, storeIds: [storeId], online: false } },
    system.adminHeaders(),
  );
  rewardId = ok(reward).createReward.id;
});
afterAll(() => system.close());

/** A member with `balance` points (the sign-up bonus topped up) who has redeemed 500 of them for a ¥500 coupon (of `reward`). */
async function memberWithCoupon(balance: number, reward = rewardId): Promise<{ memberId: string; memberCode: string; code: string; couponId: string }> {
  counter += 1;
  const registered = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    'mutation ($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
    { input: { displayName: `会員${counter}`, phone: `090-0000-${String(2000 + counter)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    system.staffHeaders(),
  );
  const { id: memberId, memberCode } = ok(registered).registerMember;
  ok(await system.graphql(ADJUST, { memberId, amount: balance - 100, key: `top-${memberId}` }, system.adminHeaders()));
  const redeemed = await system.graphql<{ redeemReward: { id: string; code: string } }>(
    'mutation ($rewardId: ID!, $key: String!) { redeemReward(rewardId: $rewardId, idempotencyKey: $key) { id code } }',
    { rewardId: reward, key: `redeem-${counter}` },
    system.customerHeaders(memberId),
  );
  const { id: couponId, code } = ok(redeemed).redeemReward;
  return { memberId, memberCode, code, couponId };
}

const balanceOf = async (memberId: string) => ok(await system.graphql<{ member: { points: { balance: number } } }>(BALANCE, { id: memberId }, system.staffHeaders())).member.points.balance;
const couponOf = async (code: string) => ok(await system.graphql<{ couponByCode: { id: string; state: string; purchaseId: string | null } }>(COUPON, { code }, system.staffHeaders())).couponByCode;
const codesOf = (response: GraphQLResponse) => response.errors?.map((e) => ({ code: e.extensions?.code, couponCode: e.extensions?.couponCode }));
const countIn = (collection: string, filter: Record<string, unknown>) => system.db.collection(collection).countDocuments(filter);

/** A bag and two coffees, 2800 yen. */
const sale = (idempotencyKey: string, extra: Record<string, unknown>) => ({
  idempotencyKey,
  storeId,
  lines: [
    { sku: 'BAG-01', name: 'トートバッグ', unitPrice: 2000, quantity: 1 },
    { sku: 'COFFEE-S', name: 'コーヒー S', unitPrice: 400, quantity: 2 },
  ],
  total: 2800,
  ...extra,
});

describe('a coupon at the register', () => {
  it('takes ¥500 off the sale, is consumed by it, and the resend answers the same purchase', async () => {
    const { memberId, memberCode, code, couponId } = await memberWithCoupon(600);
    expect(await balanceOf(memberId)).toBe(100);
    const input = sale('pos-coupon-1', { memberCode, couponCodes: [` ${code.toLowerCase()} `], pointsToRedeem: 100 });
    const recorded = ok(await system.graphql<{ recordPurchase: Record<string, unknown> }>(RECORD, { input }, pos)).recordPurchase;
    expect(recorded).toEqual({
      id: expect.any(String) as unknown,
      status: 'COMPLETED',
      subtotal: 2800,
      discount: 500,
      couponDiscount: 500,
      pointsApplied: 100,
      amountPaid: 2200,
      pointsEarned: 22,
      pointsRedeemed: 100,
      member: { id: memberId },
      coupons: [{ code, discount: 500, coupon: { id: couponId, state: 'USED', usedAt: expect.any(String) as unknown } }],
    });
    expect(await couponOf(code)).toEqual({ id: couponId, state: 'USED', purchaseId: recorded.id });
    expect(await balanceOf(memberId)).toBe(22);

    const resent = ok(await system.graphql<{ recordPurchase: Record<string, unknown> }>(RECORD, { input }, pos)).recordPurchase;
    expect(resent).toEqual(recorded);
    expect(await balanceOf(memberId)).toBe(22);
    expect(await countIn('purchases', {})).toBe(1);
  });

  it('makes a purchase presented with a coupon and no card the coupon’s member’s', async () => {
    const { memberId, code } = await memberWithCoupon(500);
    const recorded = ok(await system.graphql<{ recordPurchase: Record<string, unknown> }>(RECORD, { input: sale('pos-coupon-nocard', { couponCodes: [code] }) }, pos)).recordPurchase;
    expect(recorded).toMatchObject({ status: 'COMPLETED', member: { id: memberId }, couponDiscount: 500, amountPaid: 2300, pointsEarned: 23 });
    expect(await balanceOf(memberId)).toBe(23);
  });

  it('refuses a code it cannot use with its own error and writes nothing', async () => {
    const { memberCode, code } = await memberWithCoupon(500);
    const other = await memberWithCoupon(500);
    const before = { purchases: await countIn('purchases', {}), items: await countIn(OUTBOX, {}) };
    const unknown = await system.graphql(RECORD, { input: sale('pos-refused-1', { memberCode, couponCodes: ['NOSUCHCOUPON2345'] }) }, pos);
    expect(codesOf(unknown)).toEqual([{ code: 'NOT_FOUND', couponCode: 'NOSUCHCOUPON2345' }]);
    expect(unknown.data).toBeNull();
    // another member's coupon at this member's sale
    const foreign = await system.graphql(RECORD, { input: sale('pos-refused-2', { memberCode, couponCodes: [other.code] }) }, pos);
    expect(codesOf(foreign)).toEqual([{ code: 'COUPON_NOT_APPLICABLE', couponCode: other.code }]);
    // points to redeem beyond what the coupon leaves
    const tooMany = await system.graphql(RECORD, { input: sale('pos-refused-3', { memberCode, couponCodes: [code], pointsToRedeem: 2400 }) }, pos);
    expect(tooMany.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'pointsToRedeem']]);
    expect({ purchases: await countIn('purchases', {}), items: await countIn(OUTBOX, {}) }).toEqual(before);
    expect((await couponOf(code)).state).toBe('ISSUED');
  });
});

describe('one coupon at two registers', () => {
  it('at the same moment: one sale gets it, the other is refused COUPON_ALREADY_USED and nothing is redeemed for it', async () => {
    const { memberId, memberCode, code } = await memberWithCoupon(700);
    const inputs = ['pos-race-a', 'pos-race-b'].map((key) => sale(key, { memberCode, couponCodes: [code], pointsToRedeem: 200 }));
    const answers = await Promise.all(inputs.map((input) => system.graphql<{ recordPurchase: { id: string; status: string } }>(RECORD, { input }, pos)));
    const won = answers.filter((a) => !a.errors);
    const lost = answers.filter((a) => a.errors);
    expect(won.map((a) => a.data!.recordPurchase.status)).toEqual(['COMPLETED']);
    // refused by the quote (the other had settled), or at settlement (both were quoted): the same code either way
    expect(lost.map(codesOf)).toEqual([[{ code: 'COUPON_ALREADY_USED', couponCode: code }]]);
    expect((await couponOf(code)).purchaseId).toBe(won[0]!.data!.recordPurchase.id);
    // 200 − 200 redeemed once + 21 earned on 2800 − 500 − 200
    expect(await balanceOf(memberId)).toBe(21);
  });

  it('a moment apart: the sale settled second is REJECTED with the coupon’s code, and its resends answer that', async () => {
    const { memberId, memberCode, code } = await memberWithCoupon(700);
    const first = sale('pos-apart-a', { memberCode, couponCodes: [code], pointsToRedeem: 200 });
    const firstId = purchaseIdFor(storeId, first.idempotencyKey).toHexString();
    // the first register's settlement is held up: another process has leased its attempt
    const resource = `settle:${firstId}:0`;
    const leases = system.db.collection<LeaseDoc>('purchases_outbox_leases');
    await leases.insertOne({ _id: `${resource}#0`, resource, generation: 0, holder: 'elsewhere', acquiredAt: new Date(), expiresAt: new Date(Date.now() + 60_000) });
    const waiting = await system.graphql(RECORD, { input: first }, pos);
    expect(waiting.errors?.map((e) => [e.extensions?.code, e.extensions?.purchaseId])).toEqual([['SERVICE_UNAVAILABLE', firstId]]);

    const second = ok(await system.graphql<{ recordPurchase: { id: string; status: string } }>(RECORD, { input: sale('pos-apart-b', { memberCode, couponCodes: [code] }) }, pos));
    expect(second.recordPurchase.status).toBe('COMPLETED');

    await leases.updateOne({ _id: `${resource}#0` }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    for (let resend = 0; resend < 2; resend += 1) {
      const refused = await system.graphql(RECORD, { input: first }, pos);
      expect(refused.data).toBeNull();
      expect(refused.errors?.map((e) => ({ code: e.extensions?.code, couponCode: e.extensions?.couponCode, purchaseId: e.extensions?.purchaseId }))).toEqual([
        { code: 'COUPON_ALREADY_USED', couponCode: code, purchaseId: firstId },
      ]);
    }
    const stored = ok(await system.graphql<{ purchase: { status: string; statusReason: string | null } }>('query ($id: ID!) { purchase(id: $id) { status statusReason } }', { id: firstId }, system.staffHeaders()));
    expect(stored.purchase).toEqual({ status: 'REJECTED', statusReason: 'This coupon was used already' });
    expect((await couponOf(code)).purchaseId).toBe(second.recordPurchase.id);
    // nothing redeemed for the first; 23 earned on the second's 2300
    expect(await balanceOf(memberId)).toBe(223);
  });
});

/**
 * points behind a proxy that carries out settlements but loses their answers (HTTP 503, as a network failing
 * after points answered); every other call passes. The directory is for a settlement handler made with it.
 */
async function pointsLosingSettlements(): Promise<{ directory: ServiceDirectory; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const upstream = await fetch(`${system.subgraphs.points.url}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_IDENTITY_HEADER]: String(req.headers[SERVICE_IDENTITY_HEADER]) },
        body: Buffer.concat(chunks),
      });
      const body = await upstream.text();
      if (req.url === '/internal/settlements') res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error');
      else res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    directory: { baseUrl: (service) => (service === 'points' ? url : system.subgraphs[service as 'members'].url) },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a sale with a coupon that never completes', () => {
  it('releases the coupon points claimed before failing for 24 hours, and takes back what it earned', async () => {
    const { memberId, memberCode, code, couponId } = await memberWithCoupon(600);
    const input = sale('pos-failed-1', { memberCode, couponCodes: [code] });
    const purchaseId = purchaseIdFor(storeId, input.idempotencyKey).toHexString();
    const key = `settle:${purchaseId}`;
    // stored PENDING_POINTS with its coupon quoted: another process holds its first attempt
    const leases = system.db.collection<LeaseDoc>('purchases_outbox_leases');
    await leases.insertOne({ _id: `${key}:0#0`, resource: `${key}:0`, generation: 0, holder: 'elsewhere', acquiredAt: new Date(), expiresAt: new Date(Date.now() + 60_000) });
    expect(codesOf(await system.graphql(RECORD, { input }, pos))).toEqual([{ code: 'SERVICE_UNAVAILABLE', couponCode: undefined }]);
    await system.db.collection<{ _id: string }>(OUTBOX).updateOne({ _id: key }, { $set: { createdAt: new Date(Date.now() - 24 * 3_600_000 - 1) } });

    // the attempt of the 24th hour: points claims the coupon and earns, and its answer is lost
    const proxy = await pointsLosingSettlements();
    try {
      const settle = settlementHandlers({
        models: system.subgraphs.purchases.built.models,
        members: new MembersClient(proxy.directory, system.config.INTERNAL_SECRET),
        services: proxy.directory,
        internalSecret: system.config.INTERNAL_SECRET,
        clock: () => new Date(),
        logger: pino({ level: 'silent' }),
      }).settle!;
      const item = await system.subgraphs.purchases.built.outbox.find(key);
      expect(await settle({ purchaseId }, item!)).toEqual({ state: 'SETTLEMENT_FAILED', reason: 'Its points could not be settled within 24 hours: the points service did not answer' });
    } finally {
      await proxy.close();
    }
    // the register was told no discount: the coupon is the member's to use again, and the 23 points earned are gone
    expect(await couponOf(code)).toEqual({ id: couponId, state: 'ISSUED', purchaseId: null });
    expect(await balanceOf(memberId)).toBe(100);
  });
});

describe('refunding a sale with a coupon', () => {
  it('gives back only what was paid: the coupon’s part is not money', async () => {
    const { memberId, memberCode, code } = await memberWithCoupon(500);
    const recorded = ok(await system.graphql<{ recordPurchase: { id: string } }>(RECORD, { input: sale('pos-refund-1', { memberCode, couponCodes: [code] }) }, pos));
    const purchaseId = recorded.recordPurchase.id;
    // the bag's share of the 2300 paid: 2300 × 2000 / 2800
    const bag = ok(await system.graphql<{ refundPurchase: { refundedAmount: number } }>(REFUND, { input: { purchaseId, idempotencyKey: 'r1', lines: [{ sku: 'BAG-01', quantity: 1 }] } }, pos));
    expect(bag.refundPurchase.refundedAmount).toBe(1642);
    const rest = ok(await system.graphql<{ refundPurchase: Record<string, unknown> }>(REFUND, { input: { purchaseId, idempotencyKey: 'r2', lines: [{ sku: 'COFFEE-S', quantity: 2 }] } }, pos));
    expect(rest.refundPurchase).toEqual({ status: 'REFUNDED', refundedAmount: 2300, refunds: [{ amount: 1642 }, { amount: 658 }] });
    // the 23 earned are taken back
    expect(await balanceOf(memberId)).toBe(0);
  });

  it('keeps the coupon of a sale it paid in full (total 0) used through a partial refund, and restores it on the full one', async () => {
    const restoring = await system.graphql<{ createReward: { id: string } }>(
      'mutation ($input: RewardInput!) { createReward(input: $input) { id } }',
      { input: { nameJa: '500円引き（返品で復活）', nameEn: '¥500 off (restored)', pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 }, storeIds: [storeId], online: false, restoreCouponOnRefund: true } },
      system.adminHeaders(),
    );
    const { memberCode, code } = await memberWithCoupon(500, ok(restoring).createReward.id);
    const coffees = { lines: [{ sku: 'COFFEE-S', name: 'コーヒー S', unitPrice: 250, quantity: 2 }], total: 500 };
    const recorded = ok(await system.graphql<{ recordPurchase: { id: string; amountPaid: number } }>(RECORD, { input: { ...sale('pos-free-1', { memberCode, couponCodes: [code] }), ...coffees } }, pos));
    expect(recorded.recordPurchase.amountPaid).toBe(0);
    const purchaseId = recorded.recordPurchase.id;
    const one = ok(await system.graphql<{ refundPurchase: Record<string, unknown> }>(REFUND, { input: { purchaseId, idempotencyKey: 'f1', lines: [{ sku: 'COFFEE-S', quantity: 1 }] } }, pos));
    expect(one.refundPurchase).toEqual({ status: 'PARTIALLY_REFUNDED', refundedAmount: 0, refunds: [{ amount: 0 }] });
    expect((await couponOf(code)).state).toBe('USED');
    const other = ok(await system.graphql<{ refundPurchase: Record<string, unknown> }>(REFUND, { input: { purchaseId, idempotencyKey: 'f2', lines: [{ sku: 'COFFEE-S', quantity: 1 }] } }, pos));
    expect(other.refundPurchase).toEqual({ status: 'REFUNDED', refundedAmount: 0, refunds: [{ amount: 0 }, { amount: 0 }] });
    expect(await couponOf(code)).toMatchObject({ state: 'ISSUED', purchaseId: null });
  });
});
