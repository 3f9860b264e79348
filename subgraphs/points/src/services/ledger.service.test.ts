import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { viewAt } from './lots';
import { createRulesModule } from './rules.module';
import type { PolicyService } from './policy.service';
import { breakdownFor } from './earn-calculator';
import { defaultPolicy } from './points-policy';

const staff: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const START = new Date('2026-04-01T00:00:00Z');

let db: TestDatabase;
let ledgerModel: LedgerEntryModel;
let accounts: PointAccountModel;
let ledger: LedgerService;
/** Separate service instances stand for separate processes: only the database arbitrates between them. */
let processes: LedgerService[];
let policyService: PolicyService;
let now: Date;
const knownMembers = new Set<string>();

beforeAll(async () => {
  db = await openTestDatabase();
  now = START;
  const clock = () => now;
  ledgerModel = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  const { policy } = createRulesModule(db.connection, clock);
  policyService = policy;
  processes = Array.from({ length: 4 }, () => new LedgerService(ledgerModel, accounts, policy, clock, (id) => Promise.resolve(knownMembers.has(id))));
  ledger = processes[0]!;
  await ensureIndexes(db.connection);
});
afterEach(async () => {
  // the invariant holds after every test: balance == sum(ledger) == sum(remaining lots) for every member
  const report = await verifyLedger(ledgerModel, accounts);
  expect(report.problems).toEqual([]);
});
afterAll(() => db.drop());

function newMember(): string {
  const id = new Types.ObjectId().toHexString();
  knownMembers.add(id);
  return id;
}

async function balanceOf(memberId: string): Promise<number> {
  return viewAt(await ledger.state(memberId), now).balance;
}

const adjust = (memberId: string, amount: number, idempotencyKey: string, reason = 'test', via = ledger) =>
  via.adjust(staff, { memberId, amount, reason, idempotencyKey });
const viaProcess = (i: number) => processes[i % processes.length]!;

describe('the points ledger', () => {
  it('applies the same idempotency key once however many times it is sent at once, returning the same entry', async () => {
    const memberId = newMember();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => adjust(memberId, 120, 'goodwill-1', 'test', viaProcess(i))));
    expect(new Set(results.map((r) => r.transaction._id.toHexString())).size).toBe(1);
    expect(await balanceOf(memberId)).toBe(120);
    expect(await ledgerModel.countDocuments({ memberId })).toBe(1);
  });

  it('lets exactly as many concurrent redemptions succeed as the balance covers, never going below zero', async () => {
    const memberId = newMember();
    await adjust(memberId, 100, 'fund');
    const attempts = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        viaProcess(i).redeem({ memberId, points: 10, key: `redeem-${memberId}-${i}`, actor: 'pos:k1', purchaseId: `p-${i}`, storeId: 's1', channel: 'STORE' }),
      ),
    );
    const refused = attempts.filter((a) => a.status === 'rejected');
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect((r).reason).toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
    expect(await balanceOf(memberId)).toBe(0);
    const entries = await ledgerModel.find({ memberId }).lean();
    expect(entries.every((e) => e.balanceAfter >= 0)).toBe(true);
  });

  it('ends a storm of mixed changes from 12 clients in 4 processes at exactly the arithmetic of the accepted ones', async () => {
    const memberId = newMember();
    await adjust(memberId, 100, 'storm-fund');
    const accepted: number[] = [];
    const clients = Array.from({ length: 12 }, async (_, client) => {
      for (let call = 0; call < 5; call += 1) {
        const amount = (client + call) % 3 === 0 ? 25 : -20;
        try {
          await adjust(memberId, amount, `storm-${client}-${call}`, 'storm', viaProcess(client));
          accepted.push(amount);
        } catch (error) {
          expect(error).toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS' } });
        }
      }
    });
    await Promise.all(clients);
    // a credit is never refused: the 20 calls of the 60 that add points all went in, whatever the debits did
    expect(accepted.filter((amount) => amount > 0)).toHaveLength(20);
    expect(await balanceOf(memberId)).toBe(100 + accepted.reduce((a, b) => a + b, 0));
    const entries = await ledgerModel.find({ memberId }).lean();
    expect(entries.every((e) => e.balanceAfter >= 0)).toBe(true);
  });

  it.each([
    ['zero', 0],
    ['a fraction', 1.5],
    ['more than 10^9', 1_000_000_001],
    ['less than -10^9', -1_000_000_001],
  ])('refuses an adjustment of %s as BAD_USER_INPUT and writes nothing', async (_label, amount) => {
    const memberId = newMember();
    await expect(adjust(memberId, amount, `bad-${amount}`)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'amount' } });
    expect(await ledgerModel.countDocuments({ memberId })).toBe(0);
  });

  it('refuses an unknown member, an empty reason and a non-staff caller, writing nothing', async () => {
    const stranger = new Types.ObjectId().toHexString();
    await expect(adjust(stranger, 10, 'x1')).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const memberId = newMember();
    await expect(adjust(memberId, 10, 'x2', '  ')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'reason' } });
    await expect(ledger.adjust({ kind: 'pos', keyId: 'k', storeIds: [] }, { memberId, amount: 10, reason: 'r', idempotencyKey: 'x3' })).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await ledgerModel.countDocuments({ memberId: { $in: [stranger, memberId] } })).toBe(0);
  });

  it('refuses a replayed idempotency key carrying a different adjustment', async () => {
    const memberId = newMember();
    await adjust(memberId, 10, 'same-key');
    await expect(adjust(memberId, 11, 'same-key')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'idempotencyKey' } });
    expect(await balanceOf(memberId)).toBe(10);
  });

  it('stops counting points at their expiry and writes them off once, even when the write-off runs twice at once', async () => {
    const memberId = newMember();
    await adjust(memberId, 70, 'to-expire');
    now = new Date(START.getTime() + 366 * 86_400_000);
    try {
      expect(await balanceOf(memberId)).toBe(0);
      const [first, second] = await Promise.all([viaProcess(0).expireMember(memberId), viaProcess(1).expireMember(memberId)]);
      const written = [first, second].filter(Boolean);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ type: 'EXPIRE', amount: -70, balanceAfter: 0 });
      expect(await ledger.expireMember(memberId)).toBeNull();
    } finally {
      now = START;
    }
  });

  it('keeps the account snapshot in step with the ledger', async () => {
    const memberId = newMember();
    await adjust(memberId, 40, 'snap-1');
    await adjust(memberId, -15, 'snap-2');
    const snapshot = await accounts.findById(memberId).lean();
    expect(snapshot).toMatchObject({ seq: 2, balance: 25 });
  });

  describe('starting from the snapshot, which may be stale, missing or older than its mergedInto field', () => {
    it('appends after the real head when the snapshot lags it or is gone', async () => {
      const lagging = newMember();
      await adjust(lagging, 40, 'lag-1');
      const stale = await accounts.findById(lagging).lean();
      await adjust(lagging, 60, 'lag-2');
      await adjust(lagging, -30, 'lag-3');
      await accounts.replaceOne({ _id: lagging }, stale!); // back to seq 1, as a lost refresh would leave it
      const gone = newMember();
      await adjust(gone, 25, 'gone-1');
      await accounts.deleteOne({ _id: gone });
      const [afterLag, afterGone] = await Promise.all([adjust(lagging, -50, 'lag-4'), adjust(gone, 5, 'gone-2')]);
      expect(afterLag.transaction).toMatchObject({ seq: 4, balanceAfter: 20 });
      expect(afterGone.transaction).toMatchObject({ seq: 2, balanceAfter: 30 });
      await expect(accounts.findById(lagging).lean()).resolves.toMatchObject({ seq: 4, balance: 20 });
    });

    it('continues a damaged ledger (first entry and snapshot gone) after its head, never at seq 1 again', async () => {
      const memberId = newMember();
      await adjust(memberId, 40, 'damaged-1');
      await adjust(memberId, 20, 'damaged-2');
      await ledgerModel.deleteOne({ memberId, seq: 1 });
      await accounts.deleteOne({ _id: memberId });
      try {
        const next = await adjust(memberId, 5, 'damaged-3');
        expect(next.transaction).toMatchObject({ seq: 3, balanceAfter: 65 });
      } finally {
        await ledgerModel.deleteMany({ memberId }); // leaves the database sound for the check after each test
        await accounts.deleteOne({ _id: memberId });
      }
    });

    it('answers a replay after the points expired with its entry, writing no EXPIRE', async () => {
      const memberId = newMember();
      const first = await adjust(memberId, 30, 'expired-replay');
      now = new Date(START.getTime() + 366 * 86_400_000);
      try {
        const again = await adjust(memberId, 30, 'expired-replay');
        expect(again.transaction._id).toEqual(first.transaction._id);
        await expect(adjust(memberId, 31, 'expired-replay')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
        expect((await ledgerModel.find({ memberId }).lean()).map((e) => e.type)).toEqual(['ADJUST']);
      } finally {
        now = START;
      }
    });

    it('answers a replay from the entry the key wrote, though the snapshot has moved on', async () => {
      const memberId = newMember();
      const first = await adjust(memberId, 70, 'replay-1');
      await adjust(memberId, -20, 'replay-2');
      const again = await adjust(memberId, 70, 'replay-1');
      expect(again.transaction._id).toEqual(first.transaction._id);
      expect(await balanceOf(memberId)).toBe(50);
      await expect(adjust(memberId, 71, 'replay-1')).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    });

    it('writes nothing more for a merged member, whether its snapshot records the merge, predates the field or has it for an older seq', async () => {
      const [recorded, legacy, survivor] = [newMember(), newMember(), newMember()];
      await adjust(recorded, 10, 'merge-r');
      await adjust(legacy, 10, 'merge-l');
      await ledger.moveOut({ mergeId: 'm-recorded', fromMemberId: recorded, toMemberId: survivor, actor: 'staff:s1' });
      await ledger.moveOut({ mergeId: 'm-legacy', fromMemberId: legacy, toMemberId: survivor, actor: 'staff:s1' });
      await expect(accounts.findById(recorded).lean()).resolves.toMatchObject({ seq: 2, mergedInto: survivor });
      await accounts.updateOne({ _id: legacy }, { $unset: { mergedInto: 1, mergedIntoSeq: 1 } });
      for (const merged of [recorded, legacy]) {
        await expect(ledger.bonus({ memberId: merged, points: 5, key: `late-${merged}`, actor: 'test', reason: 'late' })).rejects.toMatchObject({ name: 'MemberMergedError', survivorId: survivor });
      }
      // a writer that predates mergedInto moved seq on without it: the field is for an older seq, not trusted
      const [stale, survivor2] = [newMember(), newMember()];
      await adjust(stale, 10, 'merge-s');
      await ledger.moveOut({ mergeId: 'm-stale', fromMemberId: stale, toMemberId: survivor2, actor: 'staff:s1' });
      await accounts.updateOne({ _id: stale }, { $set: { mergedInto: null, mergedIntoSeq: 1 } });
      await expect(ledger.bonus({ memberId: stale, points: 5, key: `late-${stale}`, actor: 'test', reason: 'late' })).rejects.toMatchObject({ name: 'MemberMergedError', survivorId: survivor2 });
      // the merge's own key still answers with its entry
      const replayed = await ledger.moveOut({ mergeId: 'm-recorded', fromMemberId: recorded, toMemberId: survivor, actor: 'staff:s1' });
      expect(replayed).toMatchObject({ type: 'MERGE_OUT', seq: 2 });
    });
  });

  it('pages through history newest first', async () => {
    const memberId = newMember();
    for (let i = 1; i <= 5; i += 1) await adjust(memberId, i, `page-${i}`);
    const first = await ledger.history(memberId, 2, null, null);
    expect(first.nodes.map((n) => n.amount)).toEqual([5, 4]);
    expect(first.hasNextPage).toBe(true);
    const second = await ledger.history(memberId, 3, first.endCursor, null);
    expect(second.nodes.map((n) => n.amount)).toEqual([3, 2, 1]);
    expect(second.hasNextPage).toBe(false);
  });
});

describe('earning under AFTER_LAST_PURCHASE', () => {
  const ADMIN: Caller = { kind: 'staff', staffId: 'admin-1', role: 'ADMIN' };
  const STORE = new Types.ObjectId().toHexString();
  const line = (sku: string, category: string | null) => ({ sku, category, unitPrice: 5000, quantity: 1 });
  const earnAt = (memberId: string, purchaseId: string, occurredAt: Date, amount: number, lines: ReturnType<typeof line>[]) =>
    ledger.earn({
      memberId,
      purchaseId,
      key: `purchase:${purchaseId}:earn`,
      actor: 'pos:key-1',
      storeId: STORE,
      channel: 'STORE',
      occurredAt,
      breakdown: breakdownFor(defaultPolicy(), null, [], [], { storeId: STORE, channel: 'STORE', amount, tier: 'REGULAR', at: occurredAt, lines }),
    });
  const lotsOf = async (memberId: string) => {
    const state = await ledger.state(memberId);
    return { lastPurchaseAt: state.lastPurchaseAt, expiries: state.lots.map((lot) => lot.expiresAt.toISOString()) };
  };

  beforeAll(() => policyService.setPointsPolicy(ADMIN, { expiryMode: 'AFTER_LAST_PURCHASE' }));
  afterAll(() => policyService.setPointsPolicy(ADMIN, { expiryMode: defaultPolicy().expiryMode }));

  it('leaves the last purchase and every expiry where they were for a gift card alone, and moves them for goods paid all with points', async () => {
    const memberId = newMember();
    await earnAt(memberId, 'alp-goods', START, 5000, [line('TEA', 'tea')]);
    const before = await lotsOf(memberId);
    expect(before.lastPurchaseAt).toEqual(START);

    // 100 days later a gift card alone (excluded by default): 0 points, no purchase of goods
    const giftAt = new Date(START.getTime() + 100 * 86_400_000);
    expect(await earnAt(memberId, 'alp-gift', giftAt, 5000, [line('GIFT', 'gift-card')])).toMatchObject({ type: 'EARN', amount: 0 });
    expect(await lotsOf(memberId)).toEqual(before);

    // tea paid all with points earns nothing but was bought: the lots' expiry runs from it
    const paidWithPointsAt = new Date(START.getTime() + 200 * 86_400_000);
    await earnAt(memberId, 'alp-points', paidWithPointsAt, 0, [line('TEA', 'tea')]);
    const after = await lotsOf(memberId);
    expect(after.lastPurchaseAt).toEqual(paidWithPointsAt);
    expect(after.expiries).not.toEqual(before.expiries);
  });
});
