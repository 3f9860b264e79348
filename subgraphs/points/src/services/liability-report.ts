import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import { jstMonthOf } from '@omo/lib/core/time';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { accountStates } from './account-states';
import { stateFromEntry, viewAt, type LedgerState } from './lots';

/** Points are redeemed at one yen each everywhere (registers, Smaregi, online checkout codes). */
export const YEN_PER_POINT = 1;

/** Members read per batch: two indexed queries each, whatever the size of the program. */
const BATCH = 1_000;

export interface PointsLiability {
  asOf: Date;
  yenPerPoint: number;
  accounts: number;
  balancePoints: number;
  pendingPoints: number;
  owedPoints: number;
  outstandingPoints: number;
  outstandingYen: number;
  byExpiryMonth: { month: string; points: number; yen: number }[];
}

type Models = { ledger: LedgerEntryModel; accounts: PointAccountModel };

/**
 * What the program owes its members at a moment: every member's account as it stood then, from the ledger (each
 * entry carries the state after it, so the latest entry at or before the moment is the account then). Members are
 * read in batches of BATCH by `_id` from the account snapshots, which every member with an entry has; now, a batch
 * costs the snapshots and any entry newer than them (accountStates), in the past the batch's entries up to then.
 */
export class LiabilityReport {
  constructor(
    private readonly models: Models,
    private readonly clock: () => Date,
  ) {}

  async asOf(caller: Caller, asOf?: Date | null): Promise<PointsLiability> {
    requireStaff(caller);
    const now = this.clock();
    const at = asOf ?? now;
    if (at.getTime() > now.getTime()) throw new BadUserInputError('asOf cannot be in the future', { field: 'asOf' });
    const totals = { accounts: 0, balance: 0, pending: 0, owed: 0 };
    const byMonth = new Map<string, number>();
    for (let after: string | null = null; ; ) {
      const ids = await this.memberIds(after);
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      const states = asOf ? await this.statesAt(ids, at) : await accountStates(this.models, ids);
      for (const state of states) {
        const view = viewAt(state, at);
        if (view.balance === 0 && view.pending === 0 && state.debt === 0) continue;
        totals.accounts += 1;
        totals.balance += view.balance;
        totals.pending += view.pending;
        totals.owed += state.debt;
        for (const { points, expiresAt } of view.expiring) {
          const { year, month } = jstMonthOf(expiresAt);
          const key = `${year}-${String(month).padStart(2, '0')}`;
          byMonth.set(key, (byMonth.get(key) ?? 0) + points);
        }
      }
      if (ids.length < BATCH) break;
    }
    const outstanding = totals.balance + totals.pending;
    return {
      asOf: at,
      yenPerPoint: YEN_PER_POINT,
      accounts: totals.accounts,
      balancePoints: totals.balance,
      pendingPoints: totals.pending,
      owedPoints: totals.owed,
      outstandingPoints: outstanding,
      outstandingYen: outstanding * YEN_PER_POINT,
      byExpiryMonth: [...byMonth.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, points]) => ({ month, points, yen: points * YEN_PER_POINT })),
    };
  }

  private async memberIds(after: string | null): Promise<string[]> {
    const snapshots = await this.models.accounts
      .find(after === null ? {} : { _id: { $gt: after } }, { _id: 1 })
      .sort({ _id: 1 })
      .limit(BATCH)
      .lean<Pick<PointAccountDoc, '_id'>[]>()
      .exec();
    return snapshots.map((s) => s._id);
  }

  /** Each member's state as its latest entry at or before `at` left it (none yet: nothing). */
  private async statesAt(memberIds: string[], at: Date): Promise<LedgerState[]> {
    const entries = await this.models.ledger
      .find({ memberId: { $in: memberIds }, createdAt: { $lte: at } }, { memberId: 1, seq: 1, lotsAfter: 1, debtAfter: 1, lifetimeEarnedAfter: 1, lastPurchaseAt: 1 })
      .lean<LedgerEntryDoc[]>()
      .exec();
    const headOf = new Map<string, LedgerEntryDoc>();
    for (const entry of entries) if ((headOf.get(entry.memberId)?.seq ?? -1) < entry.seq) headOf.set(entry.memberId, entry);
    return [...headOf.values()].map((head) => stateFromEntry(head));
  }
}
