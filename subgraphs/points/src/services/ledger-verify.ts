import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { totalPoints } from './lots';

export interface VerifyReport {
  members: number;
  entries: number;
  problems: string[];
}

const MAX_PROBLEMS = 100;

/**
 * Checks the whole ledger, one member at a time in seq order, streaming (it never holds more than one member):
 * seqs run 1, 2, 3...; each balanceAfter is the running sum of amounts and equals the remaining lots minus debt;
 * lots and debt are never negative; a snapshot that claims a seq agrees with that entry.
 */
export async function verifyLedger(ledger: LedgerEntryModel, accounts: PointAccountModel): Promise<VerifyReport> {
  const report: VerifyReport = { members: 0, entries: 0, problems: [] };
  const problem = (text: string) => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(text);
  };
  let current: string | null = null;
  let expectedSeq = 1;
  let runningTotal = 0;
  let head: LedgerEntryDoc | null = null;

  const finishMember = async () => {
    if (!head) return;
    const snapshot = await accounts.findById(head.memberId).lean<PointAccountDoc>().exec();
    if (snapshot && snapshot.seq > head.seq) problem(`${head.memberId}: snapshot seq ${snapshot.seq} is ahead of the ledger (${head.seq})`);
    if (snapshot && snapshot.seq === head.seq && snapshot.balance !== head.balanceAfter) {
      problem(`${head.memberId}: snapshot balance ${snapshot.balance} differs from ledger ${head.balanceAfter} at seq ${head.seq}`);
    }
  };

  for await (const entry of ledger.find({}).sort({ memberId: 1, seq: 1 }).lean<LedgerEntryDoc[]>().cursor()) {
    const e = entry;
    if (e.memberId !== current) {
      await finishMember();
      current = e.memberId;
      report.members += 1;
      expectedSeq = 1;
      runningTotal = 0;
    }
    report.entries += 1;
    head = e;
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
  await finishMember();
  return report;
}
