import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { purchasesContract, type ShopifyDiscountOutcome } from '@omo/lib/contracts/purchases';
import { internalRouter, ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { until } from '@omo/tools/testing/concurrency';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions, TEST_INTERNAL_SECRET } from '@omo/tools/testing/subgraph';
import type { CouponDoc } from '../models/coupon.model';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';
import { onlineCodeView } from './coupon-online.service';
import { viewAt } from './lots';

/**
 * Points' side of coupons' Shopify codes against a stand-in for purchases' two discount-code routes (served over
 * HTTP from the contract, as purchases serves them): what points asks, and what it makes of each answer. The stand-in
 * answers what each test scripts; an answer may be held back to stand for a slow Shopify.
 */
const admin: Caller = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' };
const START = Date.UTC(2030, 3, 1, 0, 0, 0);
const DONE: ShopifyDiscountOutcome = { status: 'DONE', shops: ['shop-store-1'] };

type Call = { route: 'create' | 'deactivate'; body: Record<string, unknown> };
let calls: Call[];
let answers: Record<Call['route'], (() => Promise<ShopifyDiscountOutcome>)[]>;

let db: TestDatabase;
let server: Server;
let points: PointsSubgraph;
let now: number;

function standIn(route: Call['route']) {
  return (body: unknown) => {
    calls.push({ route, body: JSON.parse(JSON.stringify(body)) as Record<string, unknown> });
    const next = answers[route].shift();
    return next ? next() : Promise.resolve(DONE);
  };
}

beforeAll(async () => {
  const app = express().use(
    internalRouter(purchasesContract, {
      merge: () => Promise.reject(new Error('not in this test')),
      resolveStores: () => Promise.reject(new Error('not in this test')),
      segmentFilter: () => Promise.reject(new Error('not in this test')),
      claimReceipt: () => Promise.reject(new Error('not in this test')),
      smaregiBalance: () => Promise.reject(new Error('not in this test')),
      smaregiMember: () => Promise.reject(new Error('not in this test')),
      createShopifyDiscount: standIn('create'),
      deactivateShopifyDiscount: standIn('deactivate'),
    }, { internalSecret: TEST_INTERNAL_SECRET, logger: createLogger('silent') }),
  );
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const purchasesUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await openTestDatabase();
  points = buildPointsSubgraph(
    testBuildOptions(db.connection, { clock: () => new Date(now), services: { baseUrl: (service) => (service === 'purchases' ? purchasesUrl : 'http://127.0.0.1:9') } }),
  );
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});
beforeEach(() => {
  now = START;
  calls = [];
  answers = { create: [], deactivate: [] };
});

const answer = (route: Call['route'], ...outcomes: (ShopifyDiscountOutcome | Error)[]) =>
  answers[route].push(...outcomes.map((o) => () => (o instanceof Error ? Promise.reject(o) : Promise.resolve(o))));

async function memberWith(balance: number): Promise<{ memberId: string; customer: Caller }> {
  const memberId = new Types.ObjectId().toHexString();
  await points.deps.ledger.bonus({ memberId, points: balance, key: `bonus:${memberId}`, actor: 'test', reason: 'test' });
  return { memberId, customer: { kind: 'customer', memberId } };
}

async function reward(benefit: Record<string, unknown> = { kind: 'YEN_OFF', yenOff: 500 }, extra: Record<string, unknown> = {}) {
  return (await points.deps.rewards.create(admin, { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit, online: true, ...extra })).rewardId.toHexString();
}

async function onlineCode(coupon: CouponDoc) {
  const [outcomes] = await points.deps.shopifySync.outcomes([coupon._id.toHexString()]);
  return onlineCodeView(coupon, outcomes!);
}

const item = (stage: 'create' | 'deactivate', coupon: CouponDoc) => points.outbox.find(`coupon-shopify-${stage}:${coupon._id.toHexString()}`);
const run = (stage: 'create' | 'deactivate', coupon: CouponDoc) => points.outbox.process(`coupon-shopify-${stage}:${coupon._id.toHexString()}`);
const balanceOf = async (memberId: string) => viewAt(await points.deps.ledger.state(memberId), new Date(now)).balance;

describe("a coupon's Shopify discount code", () => {
  it('is queued with the coupon, PENDING while Shopify throttles (retried when it says), then ACTIVE', async () => {
    const { memberId, customer } = await memberWith(600);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    expect(await onlineCode(coupon)).toEqual({ state: 'PENDING', reason: null, storeIds: [] });
    expect(calls).toEqual([]);

    answer('create', { status: 'RETRY', retryAfterMs: 2_000, reason: 'HTTP 429 Too Many Requests' });
    expect(await run('create', coupon)).toMatchObject({ doneAt: null, lastError: 'Shopify: HTTP 429 Too Many Requests', nextAttemptAt: new Date(START + 2_000) });
    expect(await onlineCode(coupon)).toMatchObject({ state: 'PENDING' });

    now += 2_000;
    expect(await points.outbox.drain()).toBe(1);
    expect(await onlineCode(coupon)).toEqual({ state: 'ACTIVE', reason: null, storeIds: ['shop-store-1'] });
    const id = coupon._id.toHexString();
    expect(calls.map((c) => c.body)).toEqual([1, 2].map(() => ({
      couponId: id,
      code: coupon.code,
      memberId,
      title: `¥500 off (${id})`,
      benefit: { kind: 'YEN_OFF', yenOff: 500 },
      startsAt: coupon.issuedAt.toISOString(),
      endsAt: coupon.expiresAt.toISOString(),
    })));
    expect(await balanceOf(memberId)).toBe(100);
  });

  it('stays PENDING while purchases cannot be reached, and is made when it answers', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    answer('create', new ServiceUnavailableError('purchases', 'Shopify answered 503'));
    expect(await run('create', coupon)).toMatchObject({ doneAt: null, attempts: 1, lastError: expect.stringContaining('purchases is unavailable') as unknown });
    expect(await onlineCode(coupon)).toMatchObject({ state: 'PENDING' });
    now = (await item('create', coupon))!.nextAttemptAt.getTime();
    await points.outbox.drain();
    expect(await onlineCode(coupon)).toMatchObject({ state: 'ACTIVE' });
  });

  it('is FAILED with the reason when Shopify refuses it, and not asked for again', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    answer('create', { status: 'REFUSED', reason: 'Code must be unique' });
    expect(await run('create', coupon)).toMatchObject({ doneAt: expect.any(Date) as unknown });
    expect(await onlineCode(coupon)).toEqual({ state: 'FAILED', reason: 'Code must be unique', storeIds: [] });
    now += 3_600_000;
    expect(await points.outbox.drain()).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('is NOT_OFFERED for a free item or a capped percentage, which ask Shopify nothing', async () => {
    const { customer } = await memberWith(1_000);
    const free = await points.deps.coupons.redeem(customer, { rewardId: await reward({ kind: 'FREE_ITEM', sku: 'COFFEE' }), idempotencyKey: 'free' });
    const percent = await points.deps.coupons.redeem(customer, { rewardId: await reward({ kind: 'PERCENT_OFF', percentOff: 10, capYen: 1_000 }), idempotencyKey: 'pct' });
    expect(await onlineCode(free)).toEqual({ state: 'NOT_OFFERED', reason: 'A free item cannot be a Shopify discount code: not available online', storeIds: [] });
    expect(await onlineCode(percent)).toMatchObject({ state: 'NOT_OFFERED', reason: 'A percentage off with a cap cannot be a Shopify discount code: not available online' });
    await points.deps.coupons.cancel(customer, free._id.toHexString());
    expect([await item('create', free), await item('create', percent), await item('deactivate', free)]).toEqual([null, null, null]);
  });

  it('is made for a percentage without a cap, as a Shopify percentage', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward({ kind: 'PERCENT_OFF', percentOff: 10 }), idempotencyKey: 'k1' });
    await run('create', coupon);
    expect(calls.map((c) => c.body.benefit)).toEqual([{ kind: 'PERCENT_OFF', percentOff: 10 }]);
    expect(await onlineCode(coupon)).toEqual({ state: 'ACTIVE', reason: null, storeIds: ['shop-store-1'] });
  });

  it('is NOT_OFFERED when purchases made it in no shop, there being none configured', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    answer('create', { status: 'DONE', shops: [] });
    await run('create', coupon);
    expect(await onlineCode(coupon)).toEqual({ state: 'NOT_OFFERED', reason: 'No online shop is configured: not available online', storeIds: [] });
  });

  it("stays usable online when a register's sale of its coupon is refused, and is turned off once a sale uses it", async () => {
    const { memberId, customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    await run('create', coupon);
    const sale = { memberId, storeId: 'store-1', channel: 'STORE', amount: 1_000, occurredAt: new Date(now).toISOString(), actor: 'pos:key-1', coupons: [{ couponId: coupon._id.toHexString(), discount: 500 }] };
    await expect(points.settlement.settle({ ...sale, purchaseId: 'refused', pointsToRedeem: 100 })).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
    expect(await item('deactivate', coupon)).toBeNull();
    await points.outbox.drain();
    expect(await onlineCode(coupon)).toMatchObject({ state: 'ACTIVE' });

    await points.settlement.settle({ ...sale, purchaseId: 'used', pointsToRedeem: 0 });
    await points.outbox.drain();
    expect(calls.map((c) => c.route)).toEqual(['create', 'deactivate']);
    expect(await onlineCode(coupon)).toMatchObject({ state: 'DEACTIVATED' });
  });

  it('is NONE for a coupon valid in stores only', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(undefined, { online: false, storeIds: [new Types.ObjectId().toHexString()] }), idempotencyKey: 'k1' });
    expect(await onlineCode(coupon)).toEqual({ state: 'NONE', reason: null, storeIds: [] });
    expect(await item('create', coupon)).toBeNull();
  });

  it('is deactivated once when its coupon expires, the points coming back once', async () => {
    const { memberId, customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(undefined, { couponValidityDays: 1 }), idempotencyKey: 'k1' });
    await run('create', coupon);
    now = coupon.expiresAt.getTime();
    await Promise.all([points.couponExpiry.run(new Date(now)), points.couponExpiry.run(new Date(now))]);
    await points.outbox.drain();
    expect(await balanceOf(memberId)).toBe(500);
    expect(calls.map((c) => [c.route, c.body.code])).toEqual([['create', coupon.code], ['deactivate', coupon.code]]);
    expect(await onlineCode(coupon)).toEqual({ state: 'DEACTIVATED', reason: null, storeIds: ['shop-store-1'] });
  });

  it('is never made when its coupon is cancelled before Shopify answered: the deactivation waits for the create', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    answer('create', { status: 'RETRY', retryAfterMs: 1_000, reason: 'throttled' });
    await run('create', coupon);
    await points.deps.coupons.cancel(customer, coupon._id.toHexString());
    expect(await run('deactivate', coupon)).toMatchObject({ doneAt: null, lastError: 'its code is still being made' });

    now += 2_000;
    expect(await run('create', coupon)).toMatchObject({ result: { skipped: 'the coupon ended first' } });
    now += 2_000;
    await run('deactivate', coupon);
    expect(calls.map((c) => c.route)).toEqual(['create', 'deactivate']);
    expect(await onlineCode(coupon)).toMatchObject({ state: 'DEACTIVATED' });
  });

  it('is turned off again when a create taken over from a hung worker made it after the deactivation ran', async () => {
    const { customer } = await memberWith(500);
    const coupon = await points.deps.coupons.redeem(customer, { rewardId: await reward(), idempotencyKey: 'k1' });
    let release!: () => void;
    answers.create.push(() => new Promise((resolve) => (release = () => resolve(DONE))));
    const hung = points.outbox.process(`coupon-shopify-create:${coupon._id.toHexString()}`);
    await until(() => calls.length === 1);

    now += 31_000;
    // another worker (its own process, connection and outbox) takes the attempt over and finishes the item
    const otherDb = await openTestDatabase(db.dbName);
    const other = buildPointsSubgraph(testBuildOptions(otherDb.connection, { clock: () => new Date(now), services: { baseUrl: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}` } }));
    await other.outbox.process(`coupon-shopify-create:${coupon._id.toHexString()}`);
    await points.deps.coupons.cancel(customer, coupon._id.toHexString());
    await other.outbox.drain();
    expect(calls.map((c) => c.route)).toEqual(['create', 'create', 'deactivate']);

    release();
    await hung;
    await points.outbox.drain();
    expect(calls.map((c) => c.route)).toEqual(['create', 'create', 'deactivate', 'deactivate']);
    expect(await onlineCode(coupon)).toMatchObject({ state: 'DEACTIVATED' });
    await otherDb.connection.close();
  });

  it('is made for the coupon of a checkout code whose request died after spending the points', async () => {
    const { memberId, customer } = await memberWith(1_000);
    const redeemKey = `checkout:${memberId}:k1`;
    // what the request had written when it died: its issue item, then the REDEEM entry, and no coupon
    await points.outbox.enqueue(`checkout-code-issue:${redeemKey}`, 'checkout-code-issue', { redeemKey });
    const couponId = new Types.ObjectId().toHexString();
    await points.deps.ledger.spendOnCheckoutCode({ memberId, points: 700, key: redeemKey, actor: `customer:${memberId}`, couponId });

    await points.outbox.drain();
    const coupon = (await points.deps.coupons.forMember(memberId, 10))[0]!;
    expect(coupon).toMatchObject({ _id: new Types.ObjectId(couponId), pointsCost: 700, rewardId: null, benefit: { kind: 'YEN_OFF', yenOff: 700 }, state: 'ISSUED' });
    await points.outbox.drain();
    expect(await onlineCode(coupon)).toMatchObject({ state: 'ACTIVE' });
    expect(calls.map((c) => c.body.benefit)).toEqual([{ kind: 'YEN_OFF', yenOff: 700 }]);
    // the key resent answers the same coupon, spending nothing more
    expect((await points.deps.checkoutCodes.redeemPointsForCheckout(customer, { points: 700, idempotencyKey: 'k1' }))._id).toEqual(coupon._id);
    expect(await balanceOf(memberId)).toBe(300);
  });
});
