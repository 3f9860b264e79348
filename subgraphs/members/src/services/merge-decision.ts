import { claimOnce } from '@omo/lib/core/claims';
import type { MemberModel } from '../models/member.model';
import type { MemberMergeDoc, MemberMergeModels, MergeOutcomeDoc, MergeRefusal } from '../models/member-merge.model';
import { loadPair, statusRefusal } from './merge-request';

/** Rounds of "insert, clash, clean up a finished merge's leftover claim" before reporting the member as busy. */
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * The one decision on a merge, COMMIT or REFUSE, taken with both members claimed (member_merge_claims, one
 * unfinished merge per member) and written once (member_merge_outcomes): the first outcome inserted is the one
 * every runner of the merge follows.
 */
export class MergeDecision {
  constructor(
    private readonly members: MemberModel,
    private readonly models: MemberMergeModels,
    private readonly clock: () => Date,
  ) {}

  /** The outcome already decided for this merge, or null. */
  outcome(mergeId: string): Promise<MergeOutcomeDoc | null> {
    return this.models.outcomes.findById(mergeId).lean<MergeOutcomeDoc>().exec();
  }

  /**
   * Claims both members, then judges: REFUSE when another unfinished merge holds one of them or the statuses
   * forbid the merge, else COMMIT. Claims are taken in id order, so that of two merges sharing two members
   * (A->B and B->A) the one that claims the first also gets the second.
   */
  async decide(merge: MemberMergeDoc): Promise<MergeOutcomeDoc> {
    const memberIds = [merge.survivorId.toHexString(), merge.mergedId.toHexString()].sort();
    let refusal: MergeRefusal | null = null;
    for (const memberId of memberIds) {
      const holder = await this.claim(memberId, merge._id);
      if (holder) {
        const field = memberId === merge.survivorId.toHexString() ? 'survivorId' : 'mergedId';
        refusal = { message: `Member ${memberId} is part of another merge that has not finished (${holder}); try again once it has`, field };
        break;
      }
    }
    if (!refusal) {
      // with both members claimed, nothing but this merge changes their status from here on
      const [survivor, merged] = await loadPair(this.members, merge.survivorId, merge.mergedId);
      refusal = statusRefusal(survivor, merged);
    }
    const outcome: MergeOutcomeDoc = { _id: merge._id, outcome: refusal ? 'REFUSE' : 'COMMIT', refusal, decidedAt: this.clock() };
    const decided = await claimOnce(this.models.outcomes, outcome);
    if (decided.won) return decided.doc;
    if (!decided.existing) throw new Error(`merge ${merge._id}: outcome clashed but cannot be read`);
    return decided.existing;
  }

  /** Lets the members take part in other merges again: only once this one is completed or refused. */
  async release(merge: MemberMergeDoc): Promise<void> {
    await this.models.claims.deleteMany({ _id: { $in: [merge.survivorId.toHexString(), merge.mergedId.toHexString()] }, mergeId: merge._id });
  }

  /** Null when this merge holds the member; otherwise the id of the unfinished merge that does. */
  private async claim(memberId: string, mergeId: string): Promise<string | null> {
    let holder = 'another merge';
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
      const result = await claimOnce(this.models.claims, { _id: memberId, mergeId, createdAt: this.clock() });
      if (result.won) return null;
      const claim = result.existing;
      if (!claim) continue;
      if (claim.mergeId === mergeId) return null;
      holder = claim.mergeId;
      if (!(await this.isFinished(claim.mergeId))) return holder;
      // left behind by a merge that finished but stopped before releasing its claims
      await this.models.claims.deleteOne({ _id: memberId, mergeId: claim.mergeId });
    }
    return holder;
  }

  private async isFinished(mergeId: string): Promise<boolean> {
    const [merge, outcome] = await Promise.all([this.models.merges.findById(mergeId).lean<MemberMergeDoc>().exec(), this.outcome(mergeId)]);
    return !merge || Boolean(merge.completedAt) || outcome?.outcome === 'REFUSE';
  }
}
