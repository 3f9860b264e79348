import type { MembersModels } from '../models';
import type { MarketingConsentDoc, MemberDoc } from '../models/member.model';
import { MERGE_STEPS, type MemberMergeDoc, type MemberMergeModels, type MergeOutcomeDoc, type MergeStep } from '../models/member-merge.model';
import { contactClaimKey, type ContactClaims } from './contact-claims';
import type { MergeDecision } from './merge-decision';
import type { MergeFanoutClient } from './merge-fanout.client';
import { loadPair } from './merge-request';

/** A step that needs another service failed; the merge is committed and stays IN_PROGRESS until a retry succeeds. */
export class MergeStepFailed extends Error {
  constructor(
    readonly step: MergeStep,
    reason: string,
  ) {
    super(`merge step ${step} failed: ${reason}`);
    this.name = 'MergeStepFailed';
  }
}

/**
 * A committed merge's steps, each idempotent and recorded when done: mark the merged member MERGED (its code now
 * leads to the survivor, so new purchases land there), move tags and contacts, points, purchases, the LINE link.
 * Then the claims go.
 */
export class MergeSteps {
  constructor(
    private readonly members: MembersModels,
    private readonly models: MemberMergeModels,
    private readonly contacts: ContactClaims,
    private readonly decision: MergeDecision,
    private readonly fanout: MergeFanoutClient,
    private readonly clock: () => Date,
  ) {}

  /** Runs the steps not yet done; throws MergeStepFailed when a service a step needs does not answer. */
  async run(initial: MemberMergeDoc, outcome: MergeOutcomeDoc): Promise<MemberMergeDoc> {
    let merge = initial;
    if (!merge.committedAt) merge = await this.record(merge, { committedAt: outcome.decidedAt });
    for (const step of MERGE_STEPS) {
      if (merge.steps[step]) continue;
      const results = await this.runStep(step, merge);
      merge = await this.record(merge, { [`steps.${step}`]: this.clock(), ...results });
    }
    merge = await this.record(merge, { completedAt: this.clock(), lastError: null });
    await this.decision.release(merge);
    return merge;
  }

  private async runStep(step: MergeStep, merge: MemberMergeDoc): Promise<Partial<MemberMergeDoc>> {
    switch (step) {
      case 'MEMBER_STATUS':
        await this.members.members.updateOne({ _id: merge.mergedId }, { $set: { status: 'MERGED', mergedIntoId: merge.survivorId } });
        return {};
      case 'PROFILE':
        await this.mergeProfile(merge);
        return {};
      case 'POINTS':
        return { pointsMoved: await this.move(merge, step, () => this.fanout.points(merge)) };
      case 'PURCHASES':
        return { purchasesMoved: await this.move(merge, step, () => this.fanout.purchases(merge)) };
      case 'LINE':
        await this.move(merge, step, () => this.fanout.line(merge));
        return {};
    }
  }

  private async move<T>(merge: MemberMergeDoc, step: MergeStep, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      // Whatever the reason (down, or a refusal that can only be a bug on one side), the merge is committed: it
      // waits for the step to succeed rather than surface the other service's error as the caller's mistake.
      const reason = error instanceof Error ? error.message : String(error);
      await this.models.merges.updateOne({ _id: merge._id }, { $set: { lastError: `${step}: ${reason}` } });
      throw new MergeStepFailed(step, reason);
    }
  }

  /**
   * The merged member's tags are added to the survivor's, and its birthday where the survivor has none. Consent
   * (mergedConsent): one person's recorded refusal wins over their consent, else the more recent choice. Its e-mail and phone move to the survivor where the
   * survivor has none of that kind, with their contact claims, so online orders and look-ups by them find the
   * survivor. A contact the survivor already has a different one of stays on the merged member with its claim: it
   * still keeps anyone else from registering it, and staff who try are shown a code that leads to the survivor.
   * Written so that running it again after a crash at any point finishes the job.
   */
  private async mergeProfile(merge: MemberMergeDoc): Promise<void> {
    const [survivor, merged] = await loadPair(this.members.members, merge.survivorId, merge.mergedId);
    if (!survivor || !merged) throw new Error(`merge ${merge._id}: a member has disappeared`);
    if (merged.tags.length) await this.members.members.updateOne({ _id: survivor._id }, { $addToSet: { tags: { $each: merged.tags } } });
    // filled only where the survivor has none, so a rerun changes nothing and the survivor's own birthday wins
    if (merged.birthday) {
      await this.members.members.updateOne({ _id: survivor._id, birthday: null }, { $set: { birthday: merged.birthday, birthMonth: merged.birthMonth ?? null } });
    }
    const consent = mergedConsent(survivor.marketingConsent, merged.marketingConsent);
    if (consent !== survivor.marketingConsent) {
      // only over the choice read: one the survivor makes meanwhile is newer and stays; a rerun picks the same
      const unchanged = survivor.marketingConsent ? { 'marketingConsent.updatedAt': survivor.marketingConsent.updatedAt } : { marketingConsent: null };
      await this.members.members.updateOne({ _id: survivor._id, ...unchanged }, { $set: { marketingConsent: consent } });
    }
    for (const kind of ['email', 'phone'] as const) {
      const value = merged[kind];
      if (!value) continue;
      if (!(await this.survivorTakes(survivor, kind, value))) continue;
      await this.contacts.moveTo(contactClaimKey(kind, value), merged._id, survivor._id);
      // cleared last: until then the merged member still holds the value its claim names, so the claim stays live
      await this.members.members.updateOne({ _id: merged._id, [kind]: value }, { $set: { [kind]: null } });
    }
  }

  /** Gives the survivor the merged member's contact where it has none of that kind: whether it holds that value now. */
  private async survivorTakes(survivor: MemberDoc, kind: 'email' | 'phone', value: string): Promise<boolean> {
    if (survivor[kind]) return survivor[kind] === value;
    await this.members.members.updateOne({ _id: survivor._id, [kind]: null, status: 'ACTIVE' }, { $set: { [kind]: value } });
    const after = await this.members.members.findById(survivor._id, { [kind]: 1 }).lean<Pick<MemberDoc, 'email' | 'phone'>>().exec();
    return after?.[kind] === value;
  }

  private async record(merge: MemberMergeDoc, set: Record<string, unknown>): Promise<MemberMergeDoc> {
    const updated = await this.models.merges.findOneAndUpdate({ _id: merge._id }, { $set: set }, { new: true }).lean<MemberMergeDoc>().exec();
    if (!updated) throw new Error(`merge ${merge._id} has no record`);
    return updated;
  }
}

/**
 * The survivor's marketing consent after a merge, of the two members' recorded choices (none recorded: LEGACY,
 * which any recorded choice replaces). Both are one person's: a refusal made in either membership is not undone by
 * a consent given in the other (refused on LINE, consented at a store: refused), so a refusal wins, and otherwise
 * (or between two refusals) the more recent choice.
 */
export function mergedConsent(survivor: MarketingConsentDoc | null | undefined, merged: MarketingConsentDoc | null | undefined): MarketingConsentDoc | null | undefined {
  if (!merged) return survivor;
  if (!survivor) return merged;
  if (survivor.granted !== merged.granted) return survivor.granted ? merged : survivor;
  return merged.updatedAt > survivor.updatedAt ? merged : survivor;
}
