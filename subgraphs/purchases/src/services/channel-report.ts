import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { jstMonthLabel } from '@omo/lib/core/time';
import { checkReportPeriod } from '@omo/lib/core/validation';
import type { PurchaseDoc, PurchaseModel } from '../models/purchase.model';

const STORE = 1;
const ONLINE = 2;

export interface ChannelCounts {
  storeOnly: number;
  onlineOnly: number;
  both: number;
}

export interface MembersByChannelRow extends ChannelCounts {
  month: string;
}

export interface MembersByChannel extends ChannelCounts {
  from: Date;
  to: Date;
  rows: MembersByChannelRow[];
}

type Bought = Pick<PurchaseDoc, 'memberId' | 'channel' | 'occurredAt'>;

/**
 * Distinct members by the channels they bought at, per month (Japan time) and over the period: one streamed pass
 * over the period's purchases (memberId, channel and occurredAt only), each member's channels kept as a bitmask per
 * month and for the period. Guest purchases count for no one; REJECTED ones were never sales; refunds are not taken off.
 */
export class ChannelReport {
  constructor(private readonly purchases: PurchaseModel) {}

  async between(caller: Caller, from: Date, to: Date): Promise<MembersByChannel> {
    requireStaff(caller);
    checkReportPeriod(from, to);
    const months = new Map<string, Map<string, number>>();
    const period = new Map<string, number>();
    const purchases = this.purchases
      .find({ occurredAt: { $gte: from, $lt: to }, memberId: { $ne: null }, state: { $ne: 'REJECTED' } }, { _id: 0, memberId: 1, channel: 1, occurredAt: 1 })
      .lean<Bought[]>()
      .cursor({ batchSize: 1_000 });
    for await (const purchase of purchases) {
      const memberId = purchase.memberId!;
      const bit = purchase.channel === 'ONLINE' ? ONLINE : STORE;
      const month = jstMonthLabel(purchase.occurredAt);
      let members = months.get(month);
      if (!members) months.set(month, (members = new Map<string, number>()));
      members.set(memberId, (members.get(memberId) ?? 0) | bit);
      period.set(memberId, (period.get(memberId) ?? 0) | bit);
    }
    const rows = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, members]) => ({ month, ...countsOf(members) }));
    return { from, to, rows, ...countsOf(period) };
  }
}

function countsOf(members: Map<string, number>): ChannelCounts {
  const counts: ChannelCounts = { storeOnly: 0, onlineOnly: 0, both: 0 };
  for (const mask of members.values()) {
    if (mask === STORE) counts.storeOnly += 1;
    else if (mask === ONLINE) counts.onlineOnly += 1;
    else counts.both += 1;
  }
  return counts;
}
