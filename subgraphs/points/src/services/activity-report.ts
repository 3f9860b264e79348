import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { jstMonthLabel } from '@omo/lib/core/time';
import { checkReportPeriod } from '@omo/lib/core/validation';
import type { Channel, LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';


export interface ActivityRow {
  month: string;
  storeId: string | null;
  channel: Channel | null;
  earned: number;
  redeemed: number;
  expired: number;
  earnReversed: number;
  redeemReturned: number;
}

export interface PointsActivity {
  from: Date;
  to: Date;
  rows: ActivityRow[];
  earned: number;
  redeemed: number;
  redemptionRate: number | null;
}

type Entry = Pick<LedgerEntryDoc, 'type' | 'amount' | 'storeId' | 'channel' | 'createdAt' | 'reverses'>;

/**
 * Points earned, redeemed and expired by month (Japan time) × store × channel over a period, and the redemption
 * rate: one streamed pass over the period's ledger entries (the ledger is the only record of every change; each
 * entry names its store and channel where it has one), summed as they come. What moves between members (a merge)
 * and imported opening balances are not activity and are left out.
 */
export class ActivityReport {
  constructor(private readonly ledger: LedgerEntryModel) {}

  async between(caller: Caller, from: Date, to: Date): Promise<PointsActivity> {
    requireStaff(caller);
    checkReportPeriod(from, to);
    const rows = new Map<string, ActivityRow>();
    const entries = this.ledger
      .find(
        { createdAt: { $gte: from, $lt: to }, type: { $in: ['EARN', 'BONUS', 'REDEEM', 'EXPIRE', 'REVERSAL'] } },
        { type: 1, amount: 1, storeId: 1, channel: 1, createdAt: 1, reverses: 1 },
      )
      .lean<Entry[]>()
      .cursor({ batchSize: 1_000 });
    for await (const entry of entries) {
      const row = rowOf(rows, jstMonthLabel(entry.createdAt), entry.storeId ?? null, entry.channel ?? null);
      if (entry.type === 'EARN' || entry.type === 'BONUS') row.earned += entry.amount;
      else if (entry.type === 'REDEEM') row.redeemed -= entry.amount;
      else if (entry.type === 'EXPIRE') row.expired -= entry.amount;
      else if (entry.reverses === 'REDEEM') row.redeemReturned += entry.amount;
      else row.earnReversed -= entry.amount;
    }
    const sorted = [...rows.values()].sort((a, b) => a.month.localeCompare(b.month) || (a.storeId ?? '').localeCompare(b.storeId ?? '') || (a.channel ?? '').localeCompare(b.channel ?? ''));
    const earned = sorted.reduce((total, r) => total + r.earned - r.earnReversed, 0);
    const redeemed = sorted.reduce((total, r) => total + r.redeemed - r.redeemReturned, 0);
    return { from, to, rows: sorted, earned, redeemed, redemptionRate: earned > 0 ? redeemed / earned : null };
  }
}

function rowOf(rows: Map<string, ActivityRow>, month: string, storeId: string | null, channel: Channel | null): ActivityRow {
  const key = `${month}|${storeId ?? ''}|${channel ?? ''}`;
  let row = rows.get(key);
  if (!row) rows.set(key, (row = { month, storeId, channel, earned: 0, redeemed: 0, expired: 0, earnReversed: 0, redeemReturned: 0 }));
  return row;
}
