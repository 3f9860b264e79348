import { groupBy } from '@omo/lib/core/collections';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { totalPoints } from './lots';

export interface VerifyReport {
  members: number;
  entries: number;
  problems: string[];
}

const MAX_PROBLEMS = 100;
/** Members whose entries are read at once. */
const MEMBER_BATCH = 1_000;

/**
 * Checks the whole ledger, one member at a time in seq order: seqs run 1, 2, 3...; each balanceAfter is the running
 * sum of amounts and equals the remaining lots minus debt; lots and debt are never negative; a snapshot that claims
 * a seq agrees with that entry. The members come from the snapshots and from one streamed pass over the entries'
 * memberIds (so a member whose first entry is gone is still found, and reported); their entries are then read in
 * batches of 1,000 members by the (memberId, seq) index, so it holds one batch at a time and needs no sort of the
 * whole ledger. No count or group over the whole collection: FerretDB 1.x evaluates those by holding every document
 * in memory (18 GB for 1.1M entries). Entries written while it runs only add to what it checks.
 */
export async function verifyLedger(ledger: LedgerEntryModel, accounts: PointAccountModel): Promise<VerifyReport> {
  const report: VerifyReport = { members: 0, entries: 0, problems: [] };
  const problem = (text: string) => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(text);
  };
  const memberIds = new Set<string>();
  for await (const account of accounts.find({}, { _id: 1 }).lean<{ _id: string }[]>().cursor()) memberIds.add(account._id);
  for await (const entry of ledger.find({}, { _id: 0, memberId: 1 }).lean<{ memberId: string }[]>().cursor({ batchSize: 5_000 })) memberIds.add(entry.memberId);
  const ids = [...memberIds].sort();
  for (let i = 0; i < ids.length; i += MEMBER_BATCH) {
    const batch = ids.slice(i, i + MEMBER_BATCH);
    const [entries, snapshots] = await Promise.all([
      ledger.find({ memberId: { $in: batch } }).lean<LedgerEntryDoc[]>().exec(),
      accounts.find({ _id: { $in: batch } }).lean<PointAccountDoc[]>().exec(),
    ]);
    const entriesOf = groupBy(entries, (entry) => entry.memberId);
    const snapshotOf = new Map(snapshots.map((snapshot) => [snapshot._id, snapshot]));
    for (const memberId of batch) {
      const own = (entriesOf.get(memberId) ?? []).sort((a, b) => a.seq - b.seq);
      if (own.length) report.members += 1;
      report.entries += own.length;
      verifyMember(memberId, own, snapshotOf.get(memberId) ?? null, problem);
    }
  }
  return report;
}

function verifyMember(memberId: string, entries: LedgerEntryDoc[], snapshot: PointAccountDoc | null, problem: (text: string) => void): void {
  let expectedSeq = 1;
  let runningTotal = 0;
  for (const e of entries) {
    const where = `${e.memberId} seq ${e.seq}`;
    if (e.seq !== expectedSeq) problem(`${where}: expected seq ${expectedSeq}`);
    expectedSeq = e.seq + 1;
    if (!Number.isInteger(e.amount)) problem(`${where}: amount ${e.amount} is not a whole number`);
    runningTotal += e.amount;
    if (runningTotal !== e.balanceAfter) problem(`${where}: balanceAfter ${e.balanceAfter} but the amounts add up to ${runningTotal}`);
    const fromLots = totalPoints(e.lotsAfter, e.debtAfter);
    if (fromLots !== e.balanceAfter) problem(`${where}: balanceAfter ${e.balanceAfter} but lots minus debt is ${fromLots}`);
    if (e.debtAfter < 0) problem(`${where}: negative debt ${e.debtAfter}`);
    for (const lot of e.lotsAfter) {
      if (!(lot.remaining > 0 && lot.remaining <= lot.amount)) problem(`${where}: lot ${lot.lotId} has ${lot.remaining} of ${lot.amount} left`);
    }
  }
  const head = entries.at(-1);
  if (!snapshot) return;
  if (!head) {
    if (snapshot.seq > 0) problem(`${memberId}: snapshot seq ${snapshot.seq} but no ledger entries`);
    return;
  }
  if (snapshot.seq > head.seq) problem(`${memberId}: snapshot seq ${snapshot.seq} is ahead of the ledger (${head.seq})`);
  if (snapshot.seq === head.seq && snapshot.balance !== head.balanceAfter) {
    problem(`${memberId}: snapshot balance ${snapshot.balance} differs from ledger ${head.balanceAfter} at seq ${head.seq}`);
  }
}
