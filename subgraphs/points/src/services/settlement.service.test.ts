import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { viewAt } from './lots';
import { createRulesModule, type RulesModule } from './rules.module';
import { SettlementService } from './settlement.service';
import type { EarnCalculator } from './earn-calculator';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';

const admin: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const AT = new Date('2026-05-10T03:00:00Z');
const DAY = 86_400_000;

let db: TestDatabase;
let ledgerModel: LedgerEntryModel;
let accounts: PointAccountModel;
let ledger: LedgerService;
let settlement: SettlementService;
let rules: RulesModule;
let now = AT;
/** Separate service instances stand for separate processes: only the database arbitrates between them. */
let processes: SettlementService[];

beforeAll(async () => {
  db = await openTestDatabase();
  const clock = () => now;
  ledgerModel = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  rules = createRulesModule(db.connection, clock);
  const { tiers, calculator } = rules;
  processes = Array.from({ length: 4 }, () => {
    const own = new LedgerService(ledgerModel, accounts, rules.policy, clock, () => Promise.resolve(true));
    return new SettlementService(own, rules.policy, tiers, calculator);
  });
  ledger = new LedgerService(ledgerModel, accounts, rules.policy, clock, () => Promise.resolve(true));
  settlement = new SettlementService(ledger, rules.policy, tiers, calculator);
  await ensureIndexes(db.connection);
});
afterEach(async () => {
  expect((await verifyLedger(ledgerModel, accounts)).problems).toEqual([]);
});
afterAll(() => db.drop());

const member = () => new Types.ObjectId().toHexString();
const balanceOf = async (memberId: string) => viewAt(await ledger.state(memberId), AT).balance;

const viaProcess = (i: number) => processes[i % processes.length]!;

function purchase(memberId: string, purchaseId: string, amount: number, pointsToRedeem = 0) {
  return { purchaseId, memberId, storeId: 'store-1', channel: 'STORE', amount, pointsToRedeem, occurredAt: AT.toISOString(), actor: 'pos:key-1' };
}

describe('settling purchases', () => {
  it('redeems the requested points, then earns by the rules in force (1 point per 100 yen, rounded down)', async () => {
    const memberId = member();
    await ledger.adjust(admin, { memberId, amount: 300, reason: 'start', idempotencyKey: `start-${memberId}` });
    const result = await settlement.settle(purchase(memberId, 'p-1', 5_360, 200));
    expect(result).toMatchObject({ pointsEarned: 53, pointsRedeemed: 200 });
    expect(result.transactions.map((t) => [t.type, t.amount])).toEqual([
      ['REDEEM', -200],
      ['EARN', 53],
    ]);
    expect(await balanceOf(memberId)).toBe(153);
  });

  it('settles a purchase once however often it is retried, also concurrently', async () => {
    const memberId = member();
    const results = await Promise.all(Array.from({ length: 20 }, () => settlement.settle(purchase(memberId, 'p-2', 10_000))));
    expect(new Set(results.map((r) => r.pointsEarned))).toEqual(new Set([100]));
    expect(await ledgerModel.countDocuments({ memberId })).toBe(1);
  });

  it('answers every copy of a settlement running at once in several processes with its one result, even when it spends the whole balance', async () => {
    for (let round = 0; round < 5; round += 1) {
      const memberId = member();
      await ledger.adjust(admin, { memberId, amount: 300, reason: 'start', idempotencyKey: `start-${memberId}` });
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => viaProcess(i).settle(purchase(memberId, `p-twin-${round}`, 5_000, 300))));
      for (const result of results) {
        expect(result).toMatchObject({ status: 'fulfilled', value: { pointsRedeemed: 300, pointsEarned: 50 } });
      }
      expect(await balanceOf(memberId)).toBe(50);
    }
  });

  it('answers a retry with the first settlement even when its earn can no longer be computed, and refuses a first one', async () => {
    const memberId = member();
    const first = await settlement.settle(purchase(memberId, 'p-recompute', 4_000));
    // as when the rules changed or the purchase's own spend moved the member to a tier the amount overflows in
    const failing = { calculate: () => Promise.reject(new BadUserInputError('points out of range', { field: 'amount' })) } as unknown as EarnCalculator;
    const { tiers } = createRulesModule(db.connection, () => now);
    const strict = new SettlementService(ledger, rules.policy, tiers, failing);
    await expect(strict.settle(purchase(memberId, 'p-recompute', 4_000))).resolves.toEqual(first);
    await expect(strict.settle(purchase(memberId, 'p-new', 4_000))).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(await ledgerModel.countDocuments({ memberId })).toBe(1);
  });

  it('refuses a redemption the balance cannot cover and earns nothing', async () => {
    const memberId = member();
    await expect(settlement.settle(purchase(memberId, 'p-3', 1_000, 50))).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
    expect(await ledgerModel.countDocuments({ memberId })).toBe(0);
  });

  it('completes a settlement interrupted after its redemption without redeeming twice', async () => {
    const memberId = member();
    await ledger.adjust(admin, { memberId, amount: 100, reason: 'start', idempotencyKey: `start-${memberId}` });
    // the process died after writing the redemption: only that step is on the ledger
    await ledger.redeem({ memberId, points: 40, key: 'purchase:p-4:redeem', actor: 'pos:key-1', purchaseId: 'p-4', storeId: 'store-1', channel: 'STORE' });
    const result = await settlement.settle(purchase(memberId, 'p-4', 2_000, 40));
    expect(result).toMatchObject({ pointsEarned: 20, pointsRedeemed: 40 });
    expect(await balanceOf(memberId)).toBe(80);
  });

  it('refuses malformed settlement requests and writes nothing', async () => {
    const memberId = member();
    for (const bad of [
      { ...purchase(memberId, 'p-5', -1) },
      { ...purchase(memberId, 'p-5', 1.5) },
      { ...purchase(memberId, 'p-5', 100), memberId: 'not-an-id' },
      { ...purchase(memberId, 'p-5', 100), channel: 'FAX' },
      { ...purchase(memberId, 'p-5', 100), pointsToRedeem: -5 },
    ]) {
      await expect(settlement.settle(bad)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect(await ledgerModel.countDocuments({ purchaseId: 'p-5' })).toBe(0);
  });
});

describe('a register that redeems more than the member has (overdraft)', () => {
  const allow = (memberId: string, purchaseId: string, amount: number, pointsToRedeem: number) => ({ ...purchase(memberId, purchaseId, amount, pointsToRedeem), overdraft: 'ALLOW' });

  it('REFUSE, the default, refuses it as before and writes nothing', async () => {
    const memberId = member();
    await settlement.settle(purchase(memberId, 'od-0', 3_000));
    await expect(settlement.settle({ ...purchase(memberId, 'od-1', 1_000, 31), overdraft: 'REFUSE' })).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS', available: 30, requested: 31 } });
    expect(await ledgerModel.countDocuments({ memberId })).toBe(1);
  });

  it('ALLOW spends the usable points and owes the rest; the sale still earns, paying the debt first; a replay answers the same', async () => {
    const memberId = member();
    const warn = jest.fn();
    const logged = new SettlementService(ledger, rules.policy, rules.tiers, rules.calculator, null, { warn } as unknown as Logger);
    await settlement.settle(purchase(memberId, 'od-2', 3_000)); // earns 30
    const result = await logged.settle(allow(memberId, 'od-3', 2_000, 100));
    expect(result).toMatchObject({ pointsRedeemed: 100, pointsEarned: 20, overdrawn: 70 });
    expect(result.transactions.map((t) => [t.type, t.amount, t.debtAfter])).toEqual([
      ['REDEEM', -100, 70],
      ['EARN', 20, 50],
    ]);
    expect(await ledger.state(memberId)).toMatchObject({ lots: [], debt: 50 });
    expect(await balanceOf(memberId)).toBe(-50);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ purchaseId: 'od-3', memberId, pointsToRedeem: 100, overdrawn: 70 }), expect.any(String));

    expect(await settlement.settle(allow(memberId, 'od-3', 2_000, 100))).toMatchObject({ pointsRedeemed: 100, pointsEarned: 20, overdrawn: 70 });
    expect(await ledgerModel.countDocuments({ memberId })).toBe(3);

    await expect(settlement.settle(purchase(memberId, 'od-4', 1_000, 1))).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS', available: 0 } });
    expect(await settlement.settle(purchase(memberId, 'od-5', 6_000))).toMatchObject({ pointsEarned: 60, overdrawn: 0 }); // 50 repay the debt
    expect(await balanceOf(memberId)).toBe(10);
    // a refund of the overdrawn sale gives its 100 back: 70 of it settles what was owed because of it
    await settlement.reverse({ refundId: 'od-r', purchaseId: 'od-3', memberId, refundAmount: 2_000, refundedAmountTotal: 2_000, purchaseAmount: 2_000, purchaseOccurredAt: AT.toISOString(), actor: 'pos:key-1' });
    expect(await balanceOf(memberId)).toBe(90);
  });

  it('owes exactly what is missing however many overdrawing sales and redemptions run at once in several processes', async () => {
    for (let round = 0; round < 3; round += 1) {
      const memberId = member();
      await settlement.settle(purchase(memberId, `od-base-${round}`, 3_000)); // earns 30
      const sales = Array.from({ length: 5 }, (_, i) => viaProcess(i).settle(allow(memberId, `od-${round}-${i}`, 0, 20)));
      const refusable = viaProcess(5).settle(purchase(memberId, `od-${round}-refuse`, 0, 10)).then(
        () => true,
        (error: unknown) => {
          expect(error).toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
          return false;
        },
      );
      const [results, redeemed] = await Promise.all([Promise.all(sales), refusable]);
      const overdrawn = results.reduce((total, r) => total + r.overdrawn, 0);
      const balance = await balanceOf(memberId);
      expect(balance).toBe(30 - 100 - (redeemed ? 10 : 0));
      expect(overdrawn).toBe(-balance);
      await expect(settlement.settle(purchase(memberId, `od-${round}-after`, 0, 1))).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
    }
  });
});

describe('refunds', () => {
  it('takes back earned points and gives back redeemed points in proportion, adding up to a full refund', async () => {
    const memberId = member();
    await ledger.adjust(admin, { memberId, amount: 100, reason: 'start', idempotencyKey: `start-${memberId}` });
    await settlement.settle(purchase(memberId, 'p-6', 9_999, 99)); // earns 99, redeems 99
    const refund = (refundId: string, refundAmount: number, refundedAmountTotal: number) =>
      settlement.reverse({ refundId, purchaseId: 'p-6', memberId, refundAmount, refundedAmountTotal, purchaseAmount: 9_999, occurredAt: AT.toISOString(), purchaseOccurredAt: AT.toISOString(), actor: 'pos:key-1' });

    const third = await refund('r-1', 3_333, 3_333);
    expect(third).toMatchObject({ pointsEarned: 66, pointsRedeemed: 66 });
    // a retried refund changes nothing
    expect(await refund('r-1', 3_333, 3_333)).toMatchObject({ pointsEarned: 66, pointsRedeemed: 66 });
    const rest = await refund('r-2', 6_666, 9_999);
    expect(rest).toMatchObject({ pointsEarned: 0, pointsRedeemed: 0 });
    expect(await balanceOf(memberId)).toBe(100);
  });

  it('settles all of it when purchases says the purchase is fully refunded, whatever the yen refunded came to', async () => {
    const memberId = member();
    await settlement.settle(purchase(memberId, 'p-all-units', 9_999));
    const refund = { refundId: 'r-all-units', purchaseId: 'p-all-units', memberId, refundAmount: 9_998, refundedAmountTotal: 9_998, purchaseAmount: 9_999, purchaseOccurredAt: AT.toISOString(), actor: 'pos:key-1' };
    expect(await settlement.reverse({ ...refund, fullyRefunded: true })).toMatchObject({ pointsEarned: 0 });
  });

  it('never takes back more than the purchase earned, nor gives back more than it redeemed, when refunds run at once', async () => {
    const memberId = member();
    await ledger.adjust(admin, { memberId, amount: 500, reason: 'start', idempotencyKey: `start-${memberId}` });
    await settlement.settle(purchase(memberId, 'p-race', 10_000, 500)); // redeems 500, earns 100
    // twelve refunds, each claiming a larger share of the purchase refunded so far: together far more than it
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        viaProcess(i).reverse({
          refundId: `r-race-${i}`,
          purchaseId: 'p-race',
          memberId,
          refundAmount: 1_000,
          refundedAmountTotal: Math.min(10_000, 1_000 * (i + 1)),
          purchaseAmount: 10_000,
          purchaseOccurredAt: AT.toISOString(),
          actor: 'pos:key-1',
        }),
      ),
    );
    // each answer follows its own refund's share at least (refunds running at once may have reversed more), and
    // the full refunds (the last three) leave nothing of the purchase
    results.forEach((result, i) => {
      const share = Math.min(10, i + 1) / 10;
      expect(result.pointsEarned).toBeLessThanOrEqual(100 - Math.floor(100 * share));
      expect(result.pointsRedeemed).toBeLessThanOrEqual(500 - Math.floor(500 * share));
      expect(Math.min(result.pointsEarned, result.pointsRedeemed)).toBeGreaterThanOrEqual(0);
    });
    expect(results.slice(9).map((r) => [r.pointsEarned, r.pointsRedeemed])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const reversals = await ledgerModel.find({ purchaseId: 'p-race', type: 'REVERSAL' }).lean();
    expect(-reversals.filter((e) => e.reverses === 'EARN').reduce((sum, e) => sum + e.amount, 0)).toBe(100);
    expect(reversals.filter((e) => e.reverses === 'REDEEM').reduce((sum, e) => sum + e.amount, 0)).toBe(500);
    expect(await balanceOf(memberId)).toBe(500);
  });

  it('lets the balance go negative when refunded points were already spent, and refuses redemption until repaid', async () => {
    const memberId = member();
    await settlement.settle(purchase(memberId, 'p-7', 5_000)); // earns 50
    await settlement.settle(purchase(memberId, 'p-8', 1_000, 50)); // spends them, earns 10
    await settlement.reverse({ refundId: 'r-3', purchaseId: 'p-7', memberId, refundAmount: 5_000, refundedAmountTotal: 5_000, purchaseAmount: 5_000, occurredAt: AT.toISOString(), purchaseOccurredAt: AT.toISOString(), actor: 'pos:key-1' });
    expect(await balanceOf(memberId)).toBe(-40);
    await expect(settlement.settle(purchase(memberId, 'p-9', 1_000, 1))).rejects.toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
    await settlement.settle(purchase(memberId, 'p-10', 6_000)); // earns 60: 40 repay the debt
    expect(await balanceOf(memberId)).toBe(20);
  });
});

describe('merges and bonuses', () => {
  const mergeInto = (fromMemberId: string, toMemberId: string) =>
    settlement.merge({ mergeId: `merge-${fromMemberId}`, fromMemberId, toMemberId, actor: 'staff:s1' });

  it('settles a late purchase of a merged member on the survivor', async () => {
    const [merged, survivor] = [member(), member()];
    await ledger.adjust(admin, { memberId: merged, amount: 100, reason: 'start', idempotencyKey: `start-${merged}` });
    await mergeInto(merged, survivor);
    const result = await settlement.settle(purchase(merged, 'p-late', 3_000, 40));
    expect(result).toMatchObject({ pointsEarned: 30, pointsRedeemed: 40 });
    expect(result.transactions.every((t) => t.memberId === survivor)).toBe(true);
    expect(await balanceOf(merged)).toBe(0);
    expect(await balanceOf(survivor)).toBe(90);
  });

  it('takes a refund of a merged member’s purchase back from the survivor', async () => {
    const [merged, survivor] = [member(), member()];
    await settlement.settle(purchase(merged, 'p-merged-refund', 5_000)); // earns 50
    await mergeInto(merged, survivor);
    await settlement.reverse({ refundId: 'r-merged', purchaseId: 'p-merged-refund', memberId: merged, refundAmount: 5_000, refundedAmountTotal: 5_000, purchaseAmount: 5_000, purchaseOccurredAt: AT.toISOString(), actor: 'pos:key-1' });
    expect(await ledgerModel.countDocuments({ memberId: merged, seq: { $gt: 2 } })).toBe(0);
    expect(await balanceOf(merged)).toBe(0);
    expect(await balanceOf(survivor)).toBe(0);
  });

  it('completes, on the survivor, a settlement interrupted by a merge after its redemption', async () => {
    const [merged, survivor] = [member(), member()];
    await ledger.adjust(admin, { memberId: merged, amount: 100, reason: 'start', idempotencyKey: `start-${merged}` });
    // the redemption was written for the merged member, then the merge ran, then purchases retried for the survivor
    await ledger.redeem({ memberId: merged, points: 40, key: 'purchase:p-split:redeem', actor: 'pos:key-1', purchaseId: 'p-split', storeId: 'store-1', channel: 'STORE' });
    await mergeInto(merged, survivor);
    const result = await settlement.settle(purchase(survivor, 'p-split', 2_000, 40));
    expect(result).toMatchObject({ pointsEarned: 20, pointsRedeemed: 40 });
    expect(await balanceOf(survivor)).toBe(80);
  });

  it('refuses, as a failure to retry rather than a refusal, any entry for a member after their points moved out', async () => {
    const [merged, survivor] = [member(), member()];
    await ledger.adjust(admin, { memberId: merged, amount: 100, reason: 'start', idempotencyKey: `start-${merged}` });
    await mergeInto(merged, survivor);
    const late = ledger.bonus({ memberId: merged, points: 10, key: `late-bonus-${merged}`, actor: 'system', reason: 'Late bonus' });
    await expect(late).rejects.toThrow(/merged/);
    await expect(late).rejects.not.toHaveProperty('extensions');
    // admin, who chose the member, are told why instead
    await expect(ledger.adjust(admin, { memberId: merged, amount: 10, reason: 'late', idempotencyKey: `late-${merged}` })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'memberId' },
    });
    expect(await balanceOf(merged)).toBe(0);
  });

  it('loses no points of purchases settled while their member is being merged', async () => {
    const [merged, survivor] = [member(), member()];
    const settle = (i: number) => viaProcess(i).settle(purchase(merged, `p-during-merge-${merged}-${i}`, 1_000));
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => settle(i)),
      mergeInto(merged, survivor),
      ...Array.from({ length: 10 }, (_, i) => settle(10 + i)),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await balanceOf(merged)).toBe(0);
    expect(await balanceOf(survivor)).toBe(200);
  });

  it('moves a merged member’s points to the survivor once, and the sign-up bonus is given once', async () => {
    const [merged, survivor] = [member(), member()];
    await Promise.all(Array.from({ length: 10 }, () => settlement.signupBonus({ memberId: merged, actor: 'system' })));
    await settlement.signupBonus({ memberId: survivor, actor: 'system' });
    await settlement.settle(purchase(merged, 'p-11', 3_000));
    const bonus = await balanceOf(survivor);

    const results = await Promise.all([1, 2, 3].map(() => settlement.merge({ mergeId: 'merge-1', fromMemberId: merged, toMemberId: survivor, actor: 'staff:s1' })));
    expect(results.map((r) => r.moved)).toEqual([bonus + 30, bonus + 30, bonus + 30]);
    expect(await balanceOf(merged)).toBe(0);
    expect(await balanceOf(survivor)).toBe(2 * bonus + 30);
  });
});

describe('late settlements', () => {
  it('earn by the rates and campaigns in force when the purchase was made, not by those changed since', async () => {
    const storeId = new Types.ObjectId().toHexString();
    now = new Date(AT.getTime() - 10 * DAY);
    const spring = await rules.storeRates
      .setStoreEarnRate(admin, { storeId, ratePoints: 3 })
      .then(() => rules.campaigns.createCampaign(admin, { name: 'Spring', kind: 'MULTIPLIER', multiplierPercent: 200, storeIds: [storeId], startsAt: now, endsAt: new Date(AT.getTime() + 10 * DAY) }))
      .finally(() => {
        now = AT;
      });
    // changed after the purchase below was made, before it reached points
    await rules.storeRates.setStoreEarnRate(admin, { storeId, ratePoints: 5 });
    await rules.campaigns.updateCampaign(admin, spring.campaignId.toHexString(), { multiplierPercent: 500 });
    await rules.policy.setPointsPolicy(admin, { channel: 'ONLINE', ratePoints: 4 });

    const memberId = member();
    const yesterday = new Date(AT.getTime() - DAY).toISOString();
    // 3 points per 100 yen × 200 %, not 5 × 500 %
    expect(await settlement.settle({ ...purchase(memberId, 'p-late-store', 10_000), storeId, occurredAt: yesterday })).toMatchObject({ pointsEarned: 600 });
    expect(await settlement.settle({ ...purchase(memberId, 'p-late-online', 10_000), channel: 'ONLINE', occurredAt: yesterday })).toMatchObject({ pointsEarned: 100 });
    // a purchase made now earns by the rules of now
    expect(await settlement.settle({ ...purchase(memberId, 'p-now-store', 10_000), storeId })).toMatchObject({ pointsEarned: 2_500 });
  });
});

describe('the return window of each channel', () => {
  const viewOn = async (memberId: string, at: Date) => {
    const { balance, pending } = viewAt(await ledger.state(memberId), at);
    return { balance, pending };
  };

  it('keeps online purchase points pending through the online window (14 days unless changed), store ones through pendingDays', async () => {
    const memberId = member();
    const store = await settlement.settle(purchase(memberId, 'p-window-store', 1_000));
    const online = await settlement.settle({ ...purchase(memberId, 'p-window-online', 2_000), channel: 'ONLINE' });
    // 1 point per 100 yen in store; online 4 per 100 yen, as the late settlements above left the ONLINE rate
    expect([store.pointsEarned, online.pointsEarned]).toEqual([10, 80]);
    expect(await viewOn(memberId, AT)).toEqual({ balance: store.pointsEarned, pending: online.pointsEarned });
    expect(await viewOn(memberId, new Date(AT.getTime() + 14 * DAY - 1))).toEqual({ balance: store.pointsEarned, pending: online.pointsEarned });
    expect(await viewOn(memberId, new Date(AT.getTime() + 14 * DAY))).toEqual({ balance: store.pointsEarned + online.pointsEarned, pending: 0 });
  });

  it('applies a changed online window to online purchases and leaves store purchases alone', async () => {
    await rules.policy.setPointsPolicy(admin, { onlinePendingDays: 3 });
    const memberId = member();
    const store = await settlement.settle(purchase(memberId, 'p-window-store-2', 1_000));
    const online = await settlement.settle({ ...purchase(memberId, 'p-window-online-2', 2_000), channel: 'ONLINE' });
    expect(await viewOn(memberId, new Date(AT.getTime() + 3 * DAY - 1))).toEqual({ balance: store.pointsEarned, pending: online.pointsEarned });
    expect(await viewOn(memberId, new Date(AT.getTime() + 3 * DAY))).toEqual({ balance: store.pointsEarned + online.pointsEarned, pending: 0 });
  });
});
