import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Types } from 'mongoose';
import { insertOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AppError, BadUserInputError } from '@omo/lib/core/errors';
import { KeyedLock } from '@omo/lib/core/keyed-lock';
import type { LedgerEntryDoc, LedgerEntryModel, LedgerEntryType } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import type { EarnBreakdown } from './earn-calculator';
import { MemberMergedError, mergeChain } from './ledger-merges';
import { emptyState, entryFieldsFor, expire, stateFromEntry, stateFromSnapshot, type Change, type LedgerState } from './lots';

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
  couponId?: string | null;
  rewardRevision?: number | null;
}

/** Computes an entry's change from the head state (null: nothing to write; an AppError: refused). */
export type Build = (state: LedgerState, now: Date, entryId: Types.ObjectId) => Promise<Change | null> | Change | null;

/** A digest of a request, for the member whose entry it wrote (a replay may find it on a merged member's ledger). */
export type RequestDigest = (memberId: string) => string;

/** What a watcher noted before an insert, handed back to it once the insert succeeded. */
export interface AppendNotice {
  memberId: string;
  idempotencyKey: string;
  /** False: its note was there already (a replay, or a retry after a crash): it may have been acted on too soon. */
  fresh: boolean;
  at: Date;
}

/**
 * Told of every ledger insert, before and after it (smaregi-balance-sync.ts: the balance followed elsewhere). Before:
 * a process that dies between the two has left the note, never an entry nobody follows.
 */
export interface AppendWatcher {
  before(memberId: string, idempotencyKey: string): Promise<AppendNotice>;
  inserted(notice: AppendNotice): Promise<void>;
}

/** A member's head state, and whether their points moved out in a merge (the survivor's id, '' if unknown). */
interface Head {
  state: LedgerState;
  mergedInto: string | null;
}

/** Enough for 100 writers racing on one member: each round, one of them wins. */
const MAX_ATTEMPTS = 200;

const EXPIRY_CONTEXT: EntryContext = { type: 'EXPIRE', actor: 'system', reason: 'Points expired' };

/**
 * The append protocol, the only writer of the points ledger. Every change is one insert of the member's next entry
 * (seq + 1) under a unique index: if another change got there first the insert fails with E11000, and the change is
 * recomputed from the new head. Each insert also carries a unique idempotency key, so a replay returns the entry
 * already written. Neither transactions nor atomic conditional updates are needed (FerretDB has neither).
 */
export class LedgerAppend {
  private readonly memberLock = new KeyedLock();

  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly accounts: PointAccountModel,
    private readonly clock: () => Date,
    private readonly watcher: AppendWatcher | null = null,
  ) {}

  /** The member's state after their latest entry, as the ledger itself has it. */
  async state(memberId: string): Promise<LedgerState> {
    return (await this.headState(memberId)).state;
  }

  findByKey(idempotencyKey: string): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ idempotencyKey }).lean<LedgerEntryDoc>().exec();
  }

  /**
   * Appends the member's next entry, computed by `build` from the head state (null: nothing to write). Points
   * that expired are written off first (their own EXPIRE entry), so every entry starts from live lots. A member
   * whose points moved out in a merge gets no more entries (MemberMergedError).
   */
  append(memberId: string, idempotencyKey: string, requestDigest: RequestDigest | null, context: EntryContext, build: Build): Promise<LedgerEntryDoc | null> {
    return this.memberLock.run(memberId, () => this.appendNow(memberId, idempotencyKey, requestDigest, context, build));
  }

  /** Writes off expired points of one member now (the expiry job); null when nothing had expired. */
  expire(memberId: string): Promise<LedgerEntryDoc | null> {
    return this.memberLock.run(memberId, () => this.expireNow(memberId));
  }

  /**
   * The member's state now: the snapshot's when it has caught up with `entry` (it normally has: the writer refreshed
   * it), else the ledger's head.
   */
  async stateSince(entry: LedgerEntryDoc): Promise<LedgerState> {
    const snapshot = await this.accounts.findById(entry.memberId).lean<PointAccountDoc>().exec();
    if (snapshot && snapshot.seq >= entry.seq) return stateFromSnapshot(snapshot);
    return stateFromEntry((await this.head(entry.memberId)) ?? entry);
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
    const notices = new Map<string, AppendNotice>();
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
        if (!trustSnapshot) await this.tryInsert(state, `expire:${memberId}:${state.seq}`, null, EXPIRY_CONTEXT, expiry, new Types.ObjectId(), notices);
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
      const inserted = await this.tryInsert(state, idempotencyKey, requestDigest?.(memberId) ?? null, context, change, entryId, notices);
      if (inserted) return inserted;
      trustSnapshot = false;
      if (attempt % 10 === 0) await yieldToEventLoop();
    }
    throw new Error(`Could not append to the ledger of ${memberId} after ${MAX_ATTEMPTS} attempts`);
  }

  private async expireNow(memberId: string): Promise<LedgerEntryDoc | null> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const state = await this.state(memberId);
      const expiry = expire(state, this.clock());
      if (!expiry) return null;
      const entry = await this.tryInsert(state, `expire:${memberId}:${state.seq}`, null, EXPIRY_CONTEXT, expiry, new Types.ObjectId(), new Map());
      if (entry) return entry;
    }
    throw new Error(`Could not expire points of ${memberId}`);
  }

  private head(memberId: string): Promise<LedgerEntryDoc | null> {
    return this.ledger.findOne({ memberId }).sort({ seq: -1 }).lean<LedgerEntryDoc>().exec();
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
    const sameMember = entry.memberId === memberId || (await mergeChain(this.ledger, entry.memberId)).includes(memberId);
    if (!sameMember || (requestDigest && entry.requestDigest && entry.requestDigest !== requestDigest(entry.memberId))) {
      throw new BadUserInputError('This idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
    }
    return entry;
  }

  /**
   * One insert; null when the seq or the key was taken by someone else (the caller re-reads and decides). The one
   * place every entry is written, so the watcher hears of every change whatever its path; once per key and append
   * (`notices`), not per try: a retry after losing the seq needs no second note.
   */
  private async tryInsert(
    state: LedgerState,
    idempotencyKey: string,
    requestDigest: string | null,
    context: EntryContext,
    change: Change,
    entryId: Types.ObjectId,
    notices: Map<string, AppendNotice>,
  ): Promise<LedgerEntryDoc | null> {
    let notice = notices.get(idempotencyKey);
    if (this.watcher && !notice) {
      notice = await this.watcher.before(state.memberId, idempotencyKey);
      notices.set(idempotencyKey, notice);
    }
    const entry: LedgerEntryDoc = {
      _id: entryId,
      ...context,
      ...entryFieldsFor(state, change),
      createdAt: this.clock(),
      idempotencyKey,
      requestDigest,
    };
    // Crash point: the note is written and the entry not (yet). The note's item finds no entry and ends, or finds
    // the entry a retry of this key writes later. No re-read here: which of the two unique indexes clashed is for
    // the loop above to find out, by reading the head and the key on its next try.
    const inserted = await insertOnce(this.ledger, entry);
    if (inserted) await this.refreshSnapshot(entry);
    // A note that was there already is a retry's: its item may have ended before this entry was written, or before
    // the entry of a first retry that died right after writing it (this insert then loses to its key): the watcher
    // hears of it either way. Crash point: an entry written and a retry's watcher not told is told by the next retry.
    if (notice && (inserted || !notice.fresh)) await this.watcher?.inserted(notice);
    if (!inserted) return null;
    // the schema's defaults filled in (in place), as the insert stored them: a caller holding the entry holds what a read gives
    this.ledger.applyDefaults(entry);
    return entry;
  }

  /** Best effort: a lagging snapshot is corrected by readers (see account loaders), never trusted alone. */
  private refreshSnapshot(entry: LedgerEntryDoc): Promise<void> {
    return refreshSnapshot(this.accounts, entry);
  }
}

/** What the account snapshot copies of the entry it follows. */
export function snapshotOf(entry: LedgerEntryDoc): Omit<PointAccountDoc, '_id'> {
  return {
    seq: entry.seq,
    lots: entry.lotsAfter,
    debt: entry.debtAfter,
    lifetimeEarned: entry.lifetimeEarnedAfter,
    lastPurchaseAt: entry.lastPurchaseAt ?? null,
    balance: entry.balanceAfter,
    mergedInto: entry.type === 'MERGE_OUT' ? (entry.counterpartMemberId ?? '') : null,
    mergedIntoSeq: entry.seq,
    updatedAt: entry.createdAt,
  };
}

/** Moves the member's snapshot up to `entry` unless it is there already (or further). */
export async function refreshSnapshot(accounts: PointAccountModel, entry: LedgerEntryDoc): Promise<void> {
  try {
    await accounts.updateOne({ _id: entry.memberId, seq: { $lt: entry.seq } }, { $set: snapshotOf(entry) }, { upsert: true });
  } catch (error) {
    // an upsert, not a claim: its insert losing only means a newer snapshot exists already, nothing to do
    if (!isDuplicateKeyError(error)) throw error;
  }
}
