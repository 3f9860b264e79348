import { LRUCache } from 'lru-cache';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';

/**
 * The highest ledger seq this process has seen per member. The ledger is append-only (an entry, once written,
 * stays under its member and seq), so a seq seen is never above the member's head on any replica, however stale:
 * a balance read that knows one reads the entries from it on, which hold the head, in one query instead of the
 * snapshot and the entries after it (account-states.ts). Bounded: a process sees however many members there are.
 */
export class KnownHeads {
  private readonly seqs = new LRUCache<string, number>({ max: 50_000 });

  seqOf(memberId: string): number | undefined {
    return this.seqs.get(memberId);
  }

  note(entry: Pick<LedgerEntryDoc, 'memberId' | 'seq'>): void {
    if ((this.seqs.get(entry.memberId) ?? 0) < entry.seq) this.seqs.set(entry.memberId, entry.seq);
  }
}
