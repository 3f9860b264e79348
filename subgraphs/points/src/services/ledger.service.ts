import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Types } from 'mongoose';
import { actorOf, requireStaff, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import { KeyedLock } from '@omo/lib/core/keyed-lock';
import { JST_OFFSET_MS } from '@omo/lib/core/time';
import type { Channel, LedgerEntryDoc, LedgerEntryModel, LedgerEntryType, Lot } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import type { EarnBreakdown } from './earn-calculator';
import {
  clawback,
  credit,
  debit,
  emptyState,
  entryFieldsFor,
  expire,
  extendExpiry,
  moveIn,
  moveOut,
  stateFromEntry,
  stateFromSnapshot,
  type Change,
  type LedgerState,
} from './lots';
import { pendingDaysOf, type PointsPolicy, type RulesService } from './rules.service';

/** What the GraphQL PointsAccount resolves from: the member's state after their latest entry. */
export type AccountState = LedgerState;

/** A refund's side of one purchase's points (taken back or given back). */
export interface Reversal {
  memberId: string;
  key: string;
  actor: string;
  purchaseId: string;
  reason: string;
  /** What identifies the refund's request (replayed with other values: refused). */
  request: unknown;
  /** Points still to reverse, given every ledger entry of the purchase so far. */
  owed: (purchaseEntries: LedgerEntryDoc[]) => number;
}

/** The non-state fields of an entry, supplied by each operation. */
export interface EntryContext {
  type: LedgerEntryType;
  actor: string;
  storeId?: string | null;
  channel?: 'STORE' | 'ONLINE' | null;
  purchaseId?: string | null;
  reason?: string | null;
  expiresAt?: Date | null;
  reverses?: 'EARN' | 'REDEEM' | null;
  earnBreakdown?: EarnBreakdown | null;
  counterpartMemberId?: string | null;
}

type Build = (state: LedgerState, now: Date, entryId: Types.ObjectId) => Promise<Change | null> | Change | null;

/** A member's head state, and whether their points moved out in a merge (the survivor's id, '' if unknown). */
interface Head {
  state: LedgerState;
  mergedInto: string | null;
}

/** A digest of a request, for the member whose entry it wrote (a replay may find it on a merged member's ledger). */
type RequestDigest = (memberId: string) => string;

/**
 * The member's points moved to another member (MERGE_OUT): nothing more may land on their account. Settlements
 * move on to the survivor it names. Not an AppError on purpose: through the internal API it is a 500, which
 * callers retry, never a refusal they would record.
 */
export class MemberMergedError extends Error {
  constructor(
    readonly memberId: string,
    readonly survivorId: string | null,
  ) {
    super(`Member ${memberId} was merged into member ${survivorId}: retry for the survivor`);
    this.name = 'MemberMergedError';
  }
}

const MAX_AMOUNT = 1_000_000_000;
/** Enough for 100 writers racing on one member: each round, one of them wins. */
const MAX_ATTEMPTS = 200;
const DAY_MS = 86_400_000;
/** Merges chain (A into B, later B into C); a longer chain can only be a loop. */
export const MAX_MERGE_HOPS = 100;

function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

export function assertPointAmount(amount: number, field = 'amount', allowNegative = false): void {
  if (!Number.isInteger(amount) || amount === 0 || Math.abs(amount) > MAX_AMOUNT || (!allowNegative && amount < 0)) {
    throw new BadUserInputError(
      `${field} must be a whole number of points${allowNegative ? ', not zero,' : ' above zero'} and at most ${MAX_AMOUNT}`,
      { field },
    );
  }
}

/** The last millisecond of the JST calendar day containing `at`: points expire at the end of a day, as printed. */
export function endOfJstDay(at: Date): Date {
  const jstDay = Math.floor((at.getTime() + JST_OFFSET_MS) / DAY_MS);
  return new Date((jstDay + 1) * DAY_MS - JST_OFFSET_MS - 1);
}

/** When a lot created at `at` expires under the policy in force: N days later, at the end of that JST day. */
export function lotExpiry(policy: PointsPolicy, at: Date, lastPurchaseAt: Date | null): Date {
  if (policy.expiryMode === 'AFTER_LAST_PURCHASE') {
    const base = lastPurchaseAt && lastPurchaseAt.getTime() > at.getTime() ? lastPurchaseAt : at;
    return endOfJstDay(new Date(base.getTime() + policy.inactivityDays * DAY_MS));
  }
  return endOfJstDay(new Date(at.getTime() + policy.lotValidityDays * DAY_MS));
}

/**
 * The only writer of the points ledger. Every change is one insert of the member's next entry (seq + 1) under a
 * unique index: if another change got there first the insert fails with E11000, and the change is recomputed from
 * the new head. Each insert also carries a unique idempotency key, so a replay returns the entry already written.
 * Neither transactions nor atomic conditional updates are needed (FerretDB has neither).
 */
export class LedgerService {
  private readonly memberLock = new KeyedLock();

  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly accounts: PointAccountModel,
    private readonly rules: RulesService,
    private readonly clock: () => Date,
    private readonly memberExists: (memberId: string) => Promise<boolean>,
    /** The largest adjustment (either sign) a STAFF member may make; ADMIN may make any. */
    private readonly staffMaxAdjustment = Number.POSITIVE_INFINITY,
  ) {}

  async state(memberId: string): Promise<LedgerState> {
    return (await this.headState(memberId)).state;
  }

  private head(memberId: string): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ memberId }).sort({ seq: -1 }).lean<LedgerEntryDoc>().exec();
  }

  /** The member, then each survivor their points moved to by a merge, in order: the last one holds them now. */
  private async mergeChain(memberId: string): Promise<string[]> {
    const chain = [memberId];
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop += 1) {
      const out = await this.ledger.findOne({ memberId: chain.at(-1), type: 'MERGE_OUT' }).lean<LedgerEntryDoc>().exec();
      if (!out?.counterpartMemberId) return chain;
      chain.push(out.counterpartMemberId);
    }
    throw new Error(`The merges of member ${memberId} go on for more than ${MAX_MERGE_HOPS} members`);
  }

  findByKey(idempotencyKey: string): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ idempotencyKey }).lean<LedgerEntryDoc>().exec();
  }

  /**
   * Appends the member's next entry, computed by `build` from the head state (null: nothing to write). Points
   * that expired are written off first (their own EXPIRE entry), so every entry starts from live lots. A member
   * whose points moved out in a merge gets no more entries (MemberMergedError).
   */
  append(
    memberId: string,
    idempotencyKey: string,
    requestDigest: RequestDigest | null,
    context: EntryContext,
    build: Build,
  ): Promise<LedgerEntryDoc | null> {
    return this.memberLock.run(memberId, () => this.appendNow(memberId, idempotencyKey, requestDigest, context, build));
  }

  /**
   * The first try trusts the snapshot as the head (one read by _id) and does not look the key up: the unique
   * indexes on (memberId, seq) and on the key refuse the insert when the snapshot lags or the request is a replay,
   * and the next try reads the real head and the key. Only the real head may refuse or find nothing to do, and
   * any answer other than a new entry (an EXPIRE write-off included) looks the key up first. On FerretDB, where a
   * query on anything but _id reads every entry of the member (or of the ledger), that turns an append from four
   * such reads into none.
   */
  private async appendNow(
    memberId: string,
    idempotencyKey: string,
    requestDigest: RequestDigest | null,
    context: EntryContext,
    build: Build,
  ): Promise<LedgerEntryDoc | null> {
    let trustSnapshot = true;
    const replayOr = async <T>(otherwise: () => T | Promise<T>): Promise<LedgerEntryDoc | T> => {
      const replay = await this.findByKey(idempotencyKey);
      return replay ? this.checkReplay(replay, memberId, requestDigest) : otherwise();
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (!trustSnapshot) {
        const replay = await this.findByKey(idempotencyKey);
        if (replay) return this.checkReplay(replay, memberId, requestDigest);
      }
      const head = (trustSnapshot ? await this.snapshotHead(memberId) : null) ?? (await this.headState(memberId));
      if (head.mergedInto !== null) {
        const mergedInto = head.mergedInto;
        return replayOr(() => {
          throw new MemberMergedError(memberId, mergedInto || null);
        });
      }
      const { state } = head;
      const now = this.clock();
      const expiry = expire(state, now);
      if (expiry) {
        // written only after the key was looked up: a replay must not leave an EXPIRE behind
        if (!trustSnapshot) await this.tryInsert(state, `expire:${memberId}:${state.seq}`, null, { type: 'EXPIRE', actor: 'system', reason: 'Points expired' }, expiry, new Types.ObjectId());
        trustSnapshot = false;
        continue;
      }
      const entryId = new Types.ObjectId();
      let change: Change | null;
      try {
        change = await build(state, now, entryId);
      } catch (error) {
        // A refusal (INSUFFICIENT_POINTS) may only mean that a twin of this request (same key, another process)
        // was written since the key was looked up and spent what this one finds missing: then it succeeded.
        if (!(error instanceof AppError)) throw error;
        if (trustSnapshot) {
          trustSnapshot = false; // only the real head may refuse: a lagging snapshot may lack points since earned
          continue;
        }
        return replayOr(() => {
          throw error;
        });
      }
      if (!change) {
        if (!trustSnapshot) return replayOr(() => null);
        trustSnapshot = false;
        continue;
      }
      const inserted = await this.tryInsert(state, idempotencyKey, requestDigest?.(memberId) ?? null, context, change, entryId);
      if (inserted) return inserted;
      trustSnapshot = false;
      if (attempt % 10 === 0) await yieldToEventLoop();
    }
    throw new Error(`Could not append to the ledger of ${memberId} after ${MAX_ATTEMPTS} attempts`);
  }

  /** The head as the ledger itself has it. */
  private async headState(memberId: string): Promise<Head> {
    const head = await this.head(memberId);
    if (head?.type === 'MERGE_OUT') return { state: stateFromEntry(head), mergedInto: head.counterpartMemberId ?? '' };
    return { state: head ? stateFromEntry(head) : emptyState(memberId), mergedInto: null };
  }

  /**
   * The head as the snapshot has it, when the snapshot says whether that head is a MERGE_OUT; null when it cannot
   * (written by a version without mergedInto, or last updated by one: mergedIntoSeq is not its seq), or when there
   * is none (a new member, or a lost snapshot: an empty state would restart a damaged ledger at seq 1).
   */
  private async snapshotHead(memberId: string): Promise<Head | null> {
    const snapshot = await this.accounts.findById(memberId).lean<PointAccountDoc>().exec();
    if (!snapshot || snapshot.mergedInto === undefined || snapshot.mergedIntoSeq !== snapshot.seq) return null;
    return { state: stateFromSnapshot(snapshot), mergedInto: snapshot.mergedInto };
  }

  /** A key's entry answers the same request, for the same member or one merged into them since. */
  private async checkReplay(entry: LedgerEntryDoc, memberId: string, requestDigest: RequestDigest | null): Promise<LedgerEntryDoc> {
    const sameMember = entry.memberId === memberId || (await this.mergeChain(entry.memberId)).includes(memberId);
    if (!sameMember || (requestDigest && entry.requestDigest && entry.requestDigest !== requestDigest(entry.memberId))) {
      throw new BadUserInputError('This idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
    }
    return entry;
  }

  /** One insert; null when the seq or the key was taken by someone else (the caller re-reads and decides). */
  private async tryInsert(
    state: LedgerState,
    idempotencyKey: string,
    requestDigest: string | null,
    context: EntryContext,
    change: Change,
    entryId: Types.ObjectId,
  ): Promise<LedgerEntryDoc | null> {
    const entry: LedgerEntryDoc = {
      _id: entryId,
      ...context,
      ...entryFieldsFor(state, change),
      createdAt: this.clock(),
      idempotencyKey,
      requestDigest,
    };
    try {
      await this.ledger.create(entry);
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
    await this.refreshSnapshot(entry);
    return entry;
  }

  /** Best effort: a lagging snapshot is corrected by readers (see account loaders), never trusted alone. */
  private async refreshSnapshot(entry: LedgerEntryDoc): Promise<void> {
    try {
      await this.accounts.updateOne(
        { _id: entry.memberId, seq: { $lt: entry.seq } },
        {
          $set: {
            seq: entry.seq,
            lots: entry.lotsAfter,
            debt: entry.debtAfter,
            lifetimeEarned: entry.lifetimeEarnedAfter,
            lastPurchaseAt: entry.lastPurchaseAt ?? null,
            balance: entry.balanceAfter,
            mergedInto: entry.type === 'MERGE_OUT' ? (entry.counterpartMemberId ?? '') : null,
            mergedIntoSeq: entry.seq,
            updatedAt: entry.createdAt,
          },
        },
        { upsert: true },
      );
    } catch (error) {
      // a newer snapshot already exists (the upsert's insert lost): nothing to do
      if (!isDuplicateKeyError(error)) throw error;
    }
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
    const policy = await this.rules.getPolicy();
    const entry = await this.append(
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
    return { transaction: entry, account: await this.stateSince(entry) };
  }

  /**
   * The member's state now: the snapshot's when it has caught up with `entry` (it normally has: the writer refreshed
   * it), else the ledger's head.
   */
  private async stateSince(entry: LedgerEntryDoc): Promise<AccountState> {
    const snapshot = await this.accounts.findById(entry.memberId).lean<PointAccountDoc>().exec();
    if (snapshot && snapshot.seq >= entry.seq) return stateFromSnapshot(snapshot);
    return stateFromEntry((await this.head(entry.memberId)) ?? entry);
  }

  /** Spends points on a purchase. */
  redeem(input: { memberId: string; points: number; key: string; actor: string; purchaseId: string; storeId: string; channel: 'STORE' | 'ONLINE' }): Promise<LedgerEntryDoc | null> {
    return this.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.points, input.purchaseId]),
      { type: 'REDEEM', actor: input.actor, purchaseId: input.purchaseId, storeId: input.storeId, channel: input.channel },
      (state, now) => debit(state, input.points, now),
    );
  }

  /** Earns a purchase's points as a lot, usable after its channel's pending days; AFTER_LAST_PURCHASE extends every lot. */
  async earn(input: {
    memberId: string;
    breakdown: EarnBreakdown;
    key: string;
    actor: string;
    purchaseId: string;
    storeId: string;
    channel: 'STORE' | 'ONLINE';
    occurredAt: Date;
  }): Promise<LedgerEntryDoc | null> {
    const policy = await this.rules.getPolicy();
    const points = input.breakdown.points;
    return this.append(
      input.memberId,
      input.key,
      // not the points: a twin of this request computing them a moment later may see another tier
      (memberId) => digest([memberId, input.purchaseId, 'yen', input.breakdown.amount]),
      { type: 'EARN', actor: input.actor, purchaseId: input.purchaseId, storeId: input.storeId, channel: input.channel, earnBreakdown: input.breakdown },
      (state, _now, entryId) => {
        const lastPurchaseAt = latest(state.lastPurchaseAt, input.occurredAt);
        const expiresAt = lotExpiry(policy, input.occurredAt, lastPurchaseAt);
        const base = policy.expiryMode === 'AFTER_LAST_PURCHASE' ? { ...state, lots: extendExpiry(state.lots, expiresAt) } : state;
        const availableAt = new Date(input.occurredAt.getTime() + pendingDaysOf(policy, input.channel) * DAY_MS);
        const change =
          points > 0
            ? credit(base, { lotId: entryId.toHexString(), amount: points, earnedAt: input.occurredAt, availableAt, expiresAt, purchaseId: input.purchaseId }, true)
            : { amount: 0, lots: base.lots, debt: base.debt, lifetimeEarned: base.lifetimeEarned, lastPurchaseAt };
        return { ...change, lastPurchaseAt };
      },
    );
  }

  /** A lot given outside a purchase (sign-up bonus); usable at once. */
  async bonus(input: { memberId: string; points: number; key: string; actor: string; reason: string }): Promise<LedgerEntryDoc | null> {
    const policy = await this.rules.getPolicy();
    return this.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.points, input.reason]),
      { type: 'BONUS', actor: input.actor, reason: input.reason },
      (state, now, entryId) =>
        credit(state, { lotId: entryId.toHexString(), amount: input.points, earnedAt: now, availableAt: now, expiresAt: lotExpiry(policy, now, state.lastPurchaseAt) }, true),
    );
  }

  /**
   * Refund: takes back earned points (debt if already spent). How many is decided from the purchase's entries as
   * they are at the head this entry follows: two refunds racing for the next seq cannot both count the same
   * points as not yet taken back, the loser recounts. Null: nothing (more) to take back.
   */
  async takeBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    const where = await this.whereOfPurchase(input.purchaseId);
    return this.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.purchaseId, 'EARN', input.request]),
      { type: 'REVERSAL', reverses: 'EARN', actor: input.actor, purchaseId: input.purchaseId, reason: input.reason, ...where },
      async (state, now) => {
        const points = input.owed(await this.entriesOfPurchase(input.purchaseId));
        return points > 0 ? clawback(state, points, now, input.purchaseId) : null;
      },
    );
  }

  /** Refund: gives back redeemed points as a new lot, valid from now under the policy in force; counted like takeBack. */
  async giveBack(input: Reversal): Promise<LedgerEntryDoc | null> {
    const [policy, where] = await Promise.all([this.rules.getPolicy(), this.whereOfPurchase(input.purchaseId)]);
    return this.append(
      input.memberId,
      input.key,
      (memberId) => digest([memberId, input.purchaseId, 'REDEEM', input.request]),
      { type: 'REVERSAL', reverses: 'REDEEM', actor: input.actor, purchaseId: input.purchaseId, reason: input.reason, ...where },
      async (state, now, entryId) => {
        const points = input.owed(await this.entriesOfPurchase(input.purchaseId));
        if (points <= 0) return null;
        const expiresAt = lotExpiry(policy, now, state.lastPurchaseAt);
        return credit(state, { lotId: entryId.toHexString(), amount: points, earnedAt: now, availableAt: now, expiresAt, purchaseId: input.purchaseId }, false);
      },
    );
  }

  /** Writes off expired points of one member now (the expiry job); null when nothing had expired. */
  expireMember(memberId: string): Promise<LedgerEntryDoc | null> {
    return this.memberLock.run(memberId, () => this.expireNow(memberId));
  }

  private async expireNow(memberId: string): Promise<LedgerEntryDoc | null> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const state = await this.state(memberId);
      const expiry = expire(state, this.clock());
      if (!expiry) return null;
      const entry = await this.tryInsert(state, `expire:${memberId}:${state.seq}`, null, { type: 'EXPIRE', actor: 'system', reason: 'Points expired' }, expiry, new Types.ObjectId());
      if (entry) return entry;
    }
    throw new Error(`Could not expire points of ${memberId}`);
  }

  /** Member merge, step 1: empties the merged member's account into a MERGE_OUT entry. */
  moveOut(input: { mergeId: string; fromMemberId: string; toMemberId: string; actor: string }): Promise<LedgerEntryDoc | null> {
    return this.append(
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
    return this.append(
      input.toMemberId,
      `merge:${input.mergeId}:in`,
      (memberId) => digest([input.out.memberId, memberId]),
      { type: 'MERGE_IN', actor: input.actor, reason: `Merged from member ${input.out.memberId}`, counterpartMemberId: input.out.memberId },
      (state, now) => moveIn(state, moved, now),
    );
  }

  /**
   * The store and channel of a purchase, from the entries its settlement wrote: a refund's reversals carry them
   * too, so a store's view of the ledger (history filtered by store) includes its refunds.
   */
  private async whereOfPurchase(purchaseId: string): Promise<{ storeId: string | null; channel: Channel | null }> {
    const settled = await this.ledger.findOne({ purchaseId, storeId: { $ne: null } }, { storeId: 1, channel: 1 }).lean<Pick<LedgerEntryDoc, 'storeId' | 'channel'>>().exec();
    return { storeId: settled?.storeId ?? null, channel: settled?.channel ?? null };
  }

  entriesOfPurchase(purchaseId: string): Promise<LedgerEntryDoc[]> {
    return this.ledger.find({ purchaseId }).sort({ createdAt: 1, seq: 1 }).lean<LedgerEntryDoc[]>().exec();
  }

  /**
   * A page of a member's ledger, newest first; the cursor is the seq of the last entry returned. With `storeIds`,
   * only entries of purchases at those stores, filtered in the query so that every page is full.
   */
  async history(memberId: string, first: number, after: string | null | undefined, type: LedgerEntryType | null | undefined, storeIds?: string[]) {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
    const filter: Record<string, unknown> = { memberId };
    if (after) {
      const seq = Number(Buffer.from(after, 'base64url').toString());
      if (!Number.isInteger(seq) || seq < 1) throw new BadUserInputError('Invalid cursor', { field: 'after' });
      filter.seq = { $lt: seq };
    }
    if (type) filter.type = type;
    if (storeIds) filter.storeId = { $in: storeIds };
    const rows = await this.ledger.find(filter).sort({ seq: -1 }).limit(first + 1).lean<LedgerEntryDoc[]>().exec();
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return {
      nodes,
      hasNextPage: rows.length > first,
      endCursor: last ? Buffer.from(String(last.seq)).toString('base64url') : null,
    };
  }
}

function latest(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}
