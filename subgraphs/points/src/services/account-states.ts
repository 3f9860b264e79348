import { groupBy } from '@omo/lib/core/collections';
import { inBatch } from '@omo/lib/contracts/segment-filter';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { emptyState, stateFromEntry, stateFromSnapshot, type LedgerState } from './lots';

/**
 * The batch's accounts in two queries: the snapshots, then the ledger entries newer than each (normally none).
 * Members are grouped by snapshot seq, so the second query has one clause per distinct seq, not one per member.
 */
export async function accountStates(models: { ledger: LedgerEntryModel; accounts: PointAccountModel }, memberIds: string[]): Promise<LedgerState[]> {
  if (memberIds.length === 0) return [];
  const snapshots = await models.accounts.find({ _id: inBatch(memberIds) }).lean<PointAccountDoc[]>().exec();
  const snapshotOf = new Map(snapshots.map((s) => [s._id, s]));
  const bySeq = groupBy(memberIds, (id) => snapshotOf.get(id)?.seq ?? 0);
  const clauses = [...bySeq].map(([seq, ids]) => ({ memberId: inBatch(ids), seq: { $gt: seq } }));
  // the batch's memberIds at the top level too: a database that does not plan $or clauses with indexes (FerretDB
  // pushes only top-level equality and $in down) still reads only the batch's entries, not the whole ledger
  const filter = clauses.length === 1 ? clauses[0]! : { memberId: inBatch(memberIds), $or: clauses };
  const newer = await models.ledger.find(filter).lean<LedgerEntryDoc[]>().exec();
  const headOf = new Map<string, LedgerEntryDoc>();
  for (const entry of newer) {
    if ((headOf.get(entry.memberId)?.seq ?? -1) < entry.seq) headOf.set(entry.memberId, entry);
  }
  return memberIds.map((memberId) => {
    const head = headOf.get(memberId);
    if (head) return stateFromEntry(head);
    const snapshot = snapshotOf.get(memberId);
    return snapshot ? stateFromSnapshot(snapshot) : emptyState(memberId);
  });
}
