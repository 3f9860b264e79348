import { groupBy } from '@omo/lib/core/collections';
import { inBatch } from '@omo/lib/contracts/segment-filter';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import type { KnownHeads } from './known-heads';
import { emptyState, stateFromEntry, stateFromSnapshot, type LedgerState } from './lots';

type Models = { ledger: LedgerEntryModel; accounts: PointAccountModel };

/**
 * The batch's accounts in two queries: the snapshots, then the ledger entries newer than each (normally none).
 * With `heads`, when this process has seen an entry of every member of the batch, in one: the entries from those
 * on. The heads found are noted for the next read.
 */
export async function accountStates(models: Models, memberIds: string[], heads?: KnownHeads): Promise<LedgerState[]> {
  if (memberIds.length === 0) return [];
  const states = (heads && (await fromKnownHeads(models.ledger, memberIds, heads))) || (await fromSnapshots(models, memberIds));
  for (const state of states) if (state.seq > 0) heads?.note(state);
  return states;
}

/** Null when a member's seq is not known, or (never, as the ledger is append-only) its entry is not found. */
async function fromKnownHeads(ledger: LedgerEntryModel, memberIds: string[], heads: KnownHeads): Promise<LedgerState[] | null> {
  const seqs = new Map(memberIds.map((id) => [id, heads.seqOf(id)]));
  if ([...seqs.values()].some((seq) => seq === undefined)) return null;
  const headOf = await latestEntries(ledger, memberIds, (id) => seqs.get(id)!, '$gte');
  const found = memberIds.map((id) => headOf.get(id));
  return found.every((head): head is LedgerEntryDoc => head !== undefined) ? found.map((head) => stateFromEntry(head)) : null;
}

async function fromSnapshots(models: Models, memberIds: string[]): Promise<LedgerState[]> {
  const snapshots = await models.accounts.find({ _id: inBatch(memberIds) }).lean<PointAccountDoc[]>().exec();
  return topUp(models.ledger, memberIds, snapshots);
}

/**
 * The accounts of `memberIds` from snapshots already read (some may be missing): each topped up with any entry
 * newer than it, in one query.
 */
export async function topUp(ledger: LedgerEntryModel, memberIds: string[], snapshots: PointAccountDoc[]): Promise<LedgerState[]> {
  const snapshotOf = new Map(snapshots.map((s) => [s._id, s]));
  const headOf = await latestEntries(ledger, memberIds, (id) => snapshotOf.get(id)?.seq ?? 0, '$gt');
  return memberIds.map((memberId) => {
    const head = headOf.get(memberId);
    if (head) return stateFromEntry(head);
    const snapshot = snapshotOf.get(memberId);
    return snapshot ? stateFromSnapshot(snapshot) : emptyState(memberId);
  });
}

/**
 * Each member's latest entry from (or after) a seq of theirs, in one query. Members are grouped by seq, so it has
 * one clause per distinct seq, not one per member.
 */
async function latestEntries(ledger: LedgerEntryModel, memberIds: string[], seqOf: (memberId: string) => number, op: '$gt' | '$gte'): Promise<Map<string, LedgerEntryDoc>> {
  const bySeq = groupBy(memberIds, seqOf);
  const clauses = [...bySeq].map(([seq, ids]) => ({ memberId: inBatch(ids), seq: { [op]: seq } }));
  // the batch's memberIds at the top level too: a database that does not plan $or clauses with indexes (FerretDB
  // pushes only top-level equality and $in down) still reads only the batch's entries, not the whole ledger
  const filter = clauses.length === 1 ? clauses[0]! : { memberId: inBatch(memberIds), $or: clauses };
  return latestPerMember(await ledger.find(filter).lean<LedgerEntryDoc[]>().exec());
}

/** Of entries found in no order, each member's with the highest seq. */
export function latestPerMember<T extends Pick<LedgerEntryDoc, 'memberId' | 'seq'>>(entries: T[]): Map<string, T> {
  const headOf = new Map<string, T>();
  for (const entry of entries) {
    if ((headOf.get(entry.memberId)?.seq ?? -1) < entry.seq) headOf.set(entry.memberId, entry);
  }
  return headOf;
}
