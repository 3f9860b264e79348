import { BadUserInputError } from '@omo/lib/core/errors';
import type { LedgerEntryDoc, LedgerEntryModel, LedgerEntryType } from '../models/ledger-entry.model';

export interface HistoryPage {
  nodes: LedgerEntryDoc[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * A page of a member's ledger, newest first; the cursor is the seq of the last entry returned. With `storeIds`,
 * only entries of purchases at those stores, filtered in the query so that every page is full.
 */
export async function historyPage(
  ledger: LedgerEntryModel,
  memberId: string,
  first: number,
  after: string | null | undefined,
  type: LedgerEntryType | null | undefined,
  storeIds?: string[],
): Promise<HistoryPage> {
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
  const filter: Record<string, unknown> = { memberId };
  if (after) {
    const seq = Number(Buffer.from(after, 'base64url').toString());
    if (!Number.isInteger(seq) || seq < 1) throw new BadUserInputError('Invalid cursor', { field: 'after' });
    filter.seq = { $lt: seq };
  }
  if (type) filter.type = type;
  if (storeIds) filter.storeId = { $in: storeIds };
  const rows = await ledger.find(filter).sort({ seq: -1 }).limit(first + 1).lean<LedgerEntryDoc[]>().exec();
  const nodes = rows.slice(0, first);
  const last = nodes.at(-1);
  return {
    nodes,
    hasNextPage: rows.length > first,
    endCursor: last ? Buffer.from(String(last.seq)).toString('base64url') : null,
  };
}
