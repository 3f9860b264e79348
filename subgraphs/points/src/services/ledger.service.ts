import { Types } from 'mongoose';
import { actorOf, requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import { DAY_MS } from '@omo/lib/core/time';
import type { LedgerEntryDoc, LedgerEntryModel, LedgerEntryType, Lot } from '../models/ledger-entry.model';
import type { PointAccountModel } from '../models/point-account.model';
import type { EarnBreakdown } from './earn-calculator';
import { LedgerAppend, type AppendWatcher } from './ledger-append';
import { LedgerCouponSpends, type CheckoutSpend, type CouponReturn, type CouponSpend } from './ledger-coupon-spends';
import { digest } from './ledger-digest';
import { LedgerFirstEntries } from './ledger-first-entries';
import { historyPage, type HistoryPage } from './ledger-history';
import { importBuild, importContext, type ImportedBalance } from './ledger-import';
import { MemberMergedError, mergeChain } from './ledger-merges';
import { LedgerRefunds, type Reversal } from './ledger-refunds';
import { credit, debit, extendExpiry, moveIn, moveOut, overdraw, type LedgerState } from './lots';
import { lotExpiry, pendingDaysOf } from './points-policy';
import type { PolicyService, PolicySource } from './policy.service';

export type { ImportedBalance, Reversal };

/** What the GraphQL PointsAccount resolves from: the member's state after their latest entry. */
export type AccountState = LedgerState;

const MAX_AMOUNT = 1_000_000_000;

export function assertPointAmount(amount: number, field = 'amount', allowNegative = false): void {
  if (!Number.isInteger(amount) || amount === 0 || Math.abs(amount) > MAX_AMOUNT || (!allowNegative && amount < 0)) {
    throw new BadUserInputError(
      `${field} must be a whole number of points${allowNegative ? ', not zero,' : ' above zero'} and at most ${MAX_AMOUNT}`,
      { field },
    );
  }
}

/**
 * The ledger operations: what each change to a member's points is (earn, redeem, adjust, refund, bonus, expiry,
 * merge) and the key and request digest that make it idempotent. Every one is written by the append protocol
 * (ledger-append.ts), which this service alone calls.
 */
export class LedgerService {
  private readonly appender: LedgerAppend;
  private readonly firstEntries: LedgerFirstEntries;
  private readonly coupons: LedgerCouponSpends;
  private readonly refunds: LedgerRefunds;

  constructor(
    private readonly ledger: LedgerEntryModel,
    accounts: PointAccountModel,
    private readonly policy: PolicyService,
    clock: () => Date,
    private readonly memberExists: (memberId: string) => Promise<boolean>,
    /** The largest adjustment (either sign) a STAFF member may make; ADMIN may make any. */
    private readonly staffMaxAdjustment = Number.POSITIVE_INFINITY,
    /** Told of every entry before and after it is written (the Smaregi balance mirror); null: nobody follows. */
    watcher: AppendWatcher | null = null,
  ) {
    this.appender = new LedgerAppend(ledger, accounts, clock, watcher);
    this.firstEntries = new LedgerFirstEntries(ledger, accounts, clock, watcher);
    this.coupons = new LedgerCouponSpends(ledger, this.appender, policy);
    this.refunds = new LedgerRefunds(ledger, this.appender, policy);
  }

  state(memberId: string): Promise<LedgerState> {
    return this.appender.state(memberId);
  }

  findByKey(idempotencyKey: string): Promise<LedgerEntryDoc | null> {
    return this.appender.findByKey(idempotencyKey);
  }

  /** The member's entry at `seq` (partner events: when the change before one happened). */
  entryAt(memberId: string, seq: number): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ memberId, seq }).lean<LedgerEntryDoc>().exec();
  }

  /** The member's state now, given an entry of theirs: from the snapshot (one read by _id) once it has caught up. */
  stateSince(entry: LedgerEntryDoc): Promise<LedgerState> {
    return this.appender.stateSince(entry);
  }

  /** Staff correction: positive adds a lot, negative spends usable points and never overdraws. */
  async adjust(
    caller: Caller,
    input: { memberId: string; amount: number; reason: string; idempotencyKey: string },
  ): Promise<{ transaction: LedgerEntryDoc; account: AccountState }> {
    const staff = requireStaff(caller);
    assertPointAmount(input.amount, 'amount', true);
    if (staff.role !== 'ADMIN' && Math.abs(input.amount) > this.staffMaxAdjustment) {
      throw new ForbiddenError(`Adjustments of more than ${this.staffMaxAdjustment} points are for administrators`, { field: 'amount', limit: this.staffMaxAdjustment });
    }
    const reason = input.reason.trim();
    if (reason.length < 1 || reason.length > 200) throw new BadUserInputError('reason must be 1-200 characters', { field: 'reason' });
    const key = input.idempotencyKey.trim();
    if (key.length < 1 || key.length > 200) throw new BadUserInputError('idempotencyKey must be 1-200 characters', { field: 'idempotencyKey' });
    if (!Types.ObjectId.isValid(input.memberId)) throw new BadUserInputError('Not a valid member id', { field: 'memberId' });
    if (!(await this.memberExists(input.memberId))) throw new NotFoundError('Member');
    const policy = await this.policy.getPolicy();
    const entry = await this.appender.append(
      input.memberId,
      `adjust:${key}`,
      (memberId) => digest([memberId, input.amount, reason]),
      { type: 'ADJUST', actor: actorOf(staff), reason },
      (state, now, entryId) =>
        input.amount > 0
          ? credit(state, { lotId: entryId.toHexString(), amount: input.amount, earnedAt: now, availableAt: now, expiresAt: lotExpiry(policy, now, state.lastPurchaseAt) }, false)
          : debit(state, -input.amount, now),
    ).catch((error: unknown) => {
      // staff adjust the member they chose: a merged one's points are the survivor's now
      if (error instanceof MemberMergedError) throw new BadUserInputError('This member was merged into another member: adjust the survivor', { field: 'memberId' });
      throw error;
    });
    if (!entry) throw new Error('an adjustment always writes an entry');
    return { transaction: entry, account: await this.appender.stateSince(entry) };
  }

  /**
   * Spends points on a purchase. `overdraft` ALLOW (a sale that has happened at a register): fewer usable points
   * than asked are spent all the same and the rest owed (lots.ts overdraw), the entry's `overdrawn` saying how many.
   */
  redeem(input: {
    memberId: string;
    points: number;
    key: string;
    actor: string;
    purchaseId: string;
    storeId: string;
    channel: 'STORE' | 'ONLINE';
    overdraft?: 'REFUSE' | 'ALLOW';
  }): Promise<LedgerEntryDoc | null> {
    const spend = input.overdraft === 'ALLOW' ? overdraw : debit;
    return this.appender.append(
      input.memberId,
      input.key,
      // not the policy: the entry a key wrote answers its purchase whichever policy a retry names
      (memberId) => digest([memberId, input.points, input.purchaseId]),
      { type: 'REDEEM', actor: input.actor, purchaseId: input.purchaseId, storeId: input.storeId, channel: input.channel },
      (state, now) => spend(state, input.points, now),
    );
  }

  /** Coupons' points (ledger-coupon-spends.ts): spent on a reward's coupon; a replay of the key returns the first entry. */
  spendOnCoupon(input: CouponSpend): Promise<LedgerEntryDoc | null> {
    return this.coupons.spendOnCoupon(input);
  }

  couponSpendOf(key: string, memberId: string, rewardId: string): Promise<LedgerEntryDoc | null> {
    return this.coupons.couponSpendOf(key, memberId, rewardId);
  }

  spendOnCheckoutCode(input: CheckoutSpend): Promise<LedgerEntryDoc | null> {
    return this.coupons.spendOnCheckoutCode(input);
  }

  checkoutSpendOf(key: string, memberId: string, points: number): Promise<LedgerEntryDoc | null> {
    return this.coupons.checkoutSpendOf(key, memberId, points);
  }

  returnCouponPoints(input: CouponReturn): Promise<LedgerEntryDoc | null> {
    return this.coupons.returnCouponPoints(input);
  }

  takeBackCouponReturn(input: CouponReturn & { purchaseId: string }): Promise<LedgerEntryDoc | null> {
    return this.coupons.takeBackCouponReturn(input);
  }

  spendOfCoupon(couponId: string): Promise<LedgerEntryDoc | null> {
    return this.coupons.spendOfCoupon(couponId);
  }

  /** The member who holds a member's points now: themself, or the last survivor of their merges. */
  async currentMemberOf(memberId: string): Promise<string> {
    const chain = await mergeChain(this.ledger, memberId);
    return chain[chain.length - 1] ?? memberId;
  }

  /**
   * Earns a purchase's points as a lot, usable after its channel's pending days; AFTER_LAST_PURCHASE extends every
   * lot. A purchase whose lines are all excluded (a gift card: money taken in advance, whose goods earn when it
   * pays for them) is not the member's last purchase and extends nothing. One that earns on no yen because points
   * paid for it all still is: its lines were bought, as before item rules.
   */
  async earn(input: {
    memberId: string;
    breakdown: EarnBreakdown;
    key: string;
    actor: string;
    purchaseId: string;
    storeId: string;
    channel: 'STORE' | 'ONLINE';
    occurredAt: Date;
    /** Where the policy is read (a settlement's single read of it). */
    policy?: PolicySource;
  }): Promise<LedgerEntryDoc | null> {
    const policy = await (input.policy ?? this.policy).getPolicy();
    const points = input.breakdown.points;
    return this.appender.append(
      input.memberId,
      input.key,
      // not the points: a twin of this request computing them a moment later may see another tier
      (memberId) => digest([memberId, input.purchaseId, 'yen', input.breakdown.amount]),
      { type: 'EARN', actor: input.actor, purchaseId: input.purchaseId, storeId: input.storeId, channel: input.channel, earnBreakdown: input.breakdown },
      (state, _now, entryId) => {
        const lines = input.breakdown.lines;
        const bought = !lines?.length || lines.some((line) => line.rule !== 'EXCLUDED');
        const lastPurchaseAt = bought ? latest(state.lastPurchaseAt, input.occurredAt) : state.lastPurchaseAt;
        const expiresAt = lotExpiry(policy, input.occurredAt, lastPurchaseAt);
        const base = bought && policy.expiryMode === 'AFTER_LAST_PURCHASE' ? { ...state, lots: extendExpiry(state.lots, expiresAt) } : state;
        const availableAt = new Date(input.occurredAt.getTime() + pendingDaysOf(policy, input.channel) * DAY_MS);
        const change =
          points > 0
            ? credit(base, { lotId: entryId.toHexString(), amount: points, earnedAt: input.occurredAt, availableAt, expiresAt, purchaseId: input.purchaseId }, true)
            : { amount: 0, lots: base.lots, debt: base.debt, lifetimeEarned: base.lifetimeEarned, lastPurchaseAt };
        return { ...change, lastPurchaseAt };
      },
    );
  }

  /**
   * A lot given outside a purchase (sign-up and birthday bonuses); usable at once. `request` is what makes a replay
   * of the key the same request (by default its points and reason).
   */
  async bonus(input: { memberId: string; points: number; key: string; actor: string; reason: string; request?: unknown[] }): Promise<LedgerEntryDoc | null> {
    const policy = await this.policy.getPolicy();
    return this.appender.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, ...(input.request ?? [input.points, input.reason])]),
      { type: 'BONUS', actor: input.actor, reason: input.reason },
      (state, now, entryId) =>
        credit(state, { lotId: entryId.toHexString(), amount: input.points, earnedAt: now, availableAt: now, expiresAt: lotExpiry(policy, now, state.lastPurchaseAt) }, true),
    );
  }

  /**
   * A member's balance brought over from the old card (the member import): one IMPORT entry holding a lot per
   * expiry date, usable at once; lots already expired when it is written are left out (null: none was live). Not
   * counted as earned here. Once per key: a replay answers the first entry, whatever lots it carries.
   */
  async imported(input: ImportedBalance): Promise<LedgerEntryDoc | null> {
    // no digest: two runs of an import may send one member's key with different files' lots, and the first stands
    return this.appender.append(input.memberId, input.key, null, importContext(input.actor), importBuild(input.lots));
  }

  /**
   * imported() for many members at once, each written as its FIRST entry in one insert (LedgerFirstEntries): by
   * index, the entry written, or undefined for a member that has entries already, whose key was written by an
   * earlier run, or whose lots had all expired: those go through imported() one by one.
   */
  importedFirst(inputs: ImportedBalance[]): Promise<(LedgerEntryDoc | undefined)[]> {
    return this.firstEntries.insert(inputs.map((input) => ({ memberId: input.memberId, idempotencyKey: input.key, context: importContext(input.actor), build: importBuild(input.lots) })));
  }

  /** Refunds (ledger-refunds.ts): a purchase's earned points taken back, counted at the head the entry follows. */
  takeBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    return this.refunds.takeBack(input);
  }

  /** Refunds: a purchase's redeemed points given back as a new lot, counted like takeBack. */
  giveBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    return this.refunds.giveBack(input);
  }

  /** Writes off expired points of one member now (the expiry job); null when nothing had expired. */
  expireMember(memberId: string): Promise<LedgerEntryDoc | null> {
    return this.appender.expire(memberId);
  }

  /** Member merge, step 1: empties the merged member's account into a MERGE_OUT entry. */
  moveOut(input: { mergeId: string; fromMemberId: string; toMemberId: string; actor: string }): Promise<LedgerEntryDoc | null> {
    return this.appender.append(
      input.fromMemberId,
      `merge:${input.mergeId}:out`,
      (memberId) => digest([memberId, input.toMemberId]),
      { type: 'MERGE_OUT', actor: input.actor, reason: `Merged into member ${input.toMemberId}`, counterpartMemberId: input.toMemberId },
      (state) => moveOut(state),
    );
  }

  /** Member merge, step 2: gives the survivor exactly what MERGE_OUT took (read back from it after a crash). */
  moveIn(input: { mergeId: string; out: LedgerEntryDoc; toMemberId: string; actor: string }): Promise<LedgerEntryDoc | null> {
    const moved = {
      lots: (input.out.movedLots ?? []).map((lot: Lot) => ({ ...lot, lotId: `${input.out.memberId}:${lot.lotId}` })),
      debt: input.out.movedDebt ?? 0,
      lifetimeEarned: input.out.movedLifetimeEarned ?? 0,
      lastPurchaseAt: input.out.lastPurchaseAt ?? null,
    };
    return this.appender.append(
      input.toMemberId,
      `merge:${input.mergeId}:in`,
      (memberId) => digest([input.out.memberId, memberId]),
      { type: 'MERGE_IN', actor: input.actor, reason: `Merged from member ${input.out.memberId}`, counterpartMemberId: input.out.memberId },
      (state, now) => moveIn(state, moved, now),
    );
  }

  entriesOfPurchase(purchaseId: string): Promise<LedgerEntryDoc[]> {
    return this.refunds.entriesOfPurchase(purchaseId);
  }

  /** A page of a member's ledger, newest first (ledger-history.ts). */
  history(memberId: string, first: number, after: string | null | undefined, type: LedgerEntryType | null | undefined, storeIds?: string[]): Promise<HistoryPage> {
    return historyPage(this.ledger, memberId, first, after, type, storeIds);
  }
}

function latest(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}
