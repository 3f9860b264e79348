import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import { jstMonthLabel } from '@omo/lib/core/time';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { inBatch } from '@omo/lib/contracts/segment-filter';
import { latestPerMember, topUp } from './account-states';
import { stateFromEntry, viewAt, type LedgerState } from './lots';

/** Points are redeemed at one yen each everywhere (registers, Smaregi, online checkout codes). */
export const YEN_PER_POINT = 1;

/** Members per batch: each batch costs one indexed query of the ledger besides the pass over the snapshots. */
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
 * entry carries the state after it, so the latest entry at or before the moment is the account then). The members
 * are the account snapshots, read in one pass and taken BATCH at a time: now, a batch is its snapshots topped up
 * with any newer entry (one query), in the past its entries' seqs up to then and then its heads (two). A member whose
 * first entry's writer died before writing the snapshot has none yet, and is missing until their next entry.
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
    const tally = (states: LedgerState[]) => {
      for (const state of states) {
        const view = viewAt(state, at);
        if (view.balance === 0 && view.pending === 0 && state.debt === 0) continue;
        totals.accounts += 1;
        totals.balance += view.balance;
        totals.pending += view.pending;
        totals.owed += state.debt;
        for (const { points, expiresAt } of view.expiring) {
          const key = jstMonthLabel(expiresAt);
          byMonth.set(key, (byMonth.get(key) ?? 0) + points);
        }
      }
    };
    // one pass over the snapshots, as they stream: a database that cannot serve a range of _ids in order by index
    // (FerretDB 1.x sorts in memory) would read the whole collection again for every page of a paged read
    const snapshots = this.models.accounts.find({}, asOf ? { _id: 1 } : {}).lean<PointAccountDoc[]>().cursor({ batchSize: BATCH });
    let batch: PointAccountDoc[] = [];
    const flush = async () => {
      const ids = batch.map((s) => s._id);
      tally(asOf ? await this.statesAt(ids, at) : await topUp(this.models.ledger, ids, batch));
      batch = [];
    };
    for await (const snapshot of snapshots) {
      batch.push(snapshot);
      if (batch.length === BATCH) await flush();
    }
    if (batch.length) await flush();
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

  /**
   * Each member's state as its latest entry at or before `at` left it (none yet: nothing). The batch's entries up to
   * then are read without their lots (a long history is many entries), and only the heads are read in full.
   */
  private async statesAt(memberIds: string[], at: Date): Promise<LedgerState[]> {
    const seqs = await this.models.ledger
      .find({ memberId: inBatch(memberIds), createdAt: { $lte: at } }, { _id: 1, memberId: 1, seq: 1 })
      .lean<Pick<LedgerEntryDoc, '_id' | 'memberId' | 'seq'>[]>()
      .exec();
    const headOf = latestPerMember(seqs);
    if (headOf.size === 0) return [];
    const heads = await this.models.ledger
      .find({ _id: inBatch([...headOf.values()].map((h) => h._id)) }, { memberId: 1, seq: 1, lotsAfter: 1, debtAfter: 1, lifetimeEarnedAfter: 1, lastPurchaseAt: 1 })
      .lean<LedgerEntryDoc[]>()
      .exec();
    return heads.map((head) => stateFromEntry(head));
  }
}
