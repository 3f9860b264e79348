import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';

/** Merges chain (A into B, later B into C); a longer chain can only be a loop. */
export const MAX_MERGE_HOPS = 100;

/**
 * The member's points moved to another member (MERGE_OUT): nothing more may land on their account. Settlements
 * move on to the survivor it names. Not an AppError on purpose: through the internal API it is a 500, which
 * callers retry, never a refusal they would record.
 */
export class MemberMergedError extends Error {
  constructor(
    readonly memberId: string,
    readonly survivorId: string | null,
  ) {
    super(`Member ${memberId} was merged into member ${survivorId}: retry for the survivor`);
    this.name = 'MemberMergedError';
  }
}

/** One member of a chain: its own answer, or the survivor its points moved to. */
export type MergeHop<T> = { done: T } | { next: string };

/**
 * The one place points follows merges: from `memberId`, member after member along the ledger's MERGE_OUT entries,
 * until `visit` has its answer. Members owns identity and says who a merged member stands for now, but the points
 * must follow the ledger's own chain: members marks a member MERGED before its points move (the merge's
 * MEMBER_STATUS step runs before POINTS), so for a while members' survivor of A -> B -> C is C while A's points are
 * still on B's ledger. A settlement sent there would refuse a redemption the member's points cover, and a replay
 * would not be recognised as the same member's. The ledger's chain ends where the points are; following it costs
 * no command on the common path (an unmerged member's head is not a MERGE_OUT).
 */
export async function followMerges<T>(memberId: string, visit: (memberId: string) => Promise<MergeHop<T>>): Promise<T> {
  let current = memberId;
  for (let hop = 0; hop <= MAX_MERGE_HOPS; hop += 1) {
    const step = await visit(current);
    if ('done' in step) return step.done;
    current = step.next;
  }
  throw new Error(`The merges of member ${memberId} go on for more than ${MAX_MERGE_HOPS} members`);
}

/** The member, then each survivor their points moved to by a merge, in order: the last one holds them now. */
export function mergeChain(ledger: LedgerEntryModel, memberId: string): Promise<string[]> {
  const chain: string[] = [];
  return followMerges<string[]>(memberId, async (current) => {
    chain.push(current);
    const out = await ledger.findOne({ memberId: current, type: 'MERGE_OUT' }).lean<LedgerEntryDoc>().exec();
    return out?.counterpartMemberId ? { next: out.counterpartMemberId } : { done: chain };
  });
}

/**
 * Runs `step` for the member, or, when their points moved to a survivor in a merge (before or during the step),
 * for the survivor, who holds them now. Every step must be idempotent: what was done before the merge moved the
 * points is not done twice.
 */
export function forCurrentMember<T>(memberId: string, step: (memberId: string) => Promise<T>): Promise<T> {
  return followMerges<T>(memberId, async (current): Promise<MergeHop<T>> => {
    try {
      return { done: await step(current) };
    } catch (error) {
      if (!(error instanceof MemberMergedError) || !error.survivorId) throw error;
      return { next: error.survivorId };
    }
  });
}
