import type { z } from 'zod';
import { claimOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { lineContract } from '@omo/lib/contracts/line';
import type { LineLinkDoc, LineLinkModel } from './line-link.model';
import type { LineLinkMergeDoc, LineLinkMergeModel, LinkMergeOutcome } from './line-link-merge.model';
import type { LinkCodeModel } from './link-code.model';
import type { LinkNonceModel } from './link-nonce.model';

/** A KEPT_SURVIVOR decision, which always names the merged member's link it unlinked. */
export type KeptLinkRecord = LineLinkMergeDoc & { lineUserId: string; linkedAt: Date };

/** The request of the line contract's merge route: the route parses it, and so does a direct caller's merge(). */
const mergeSchema = lineContract.routes.merge.request;

export interface LinkMergeDeps {
  links: LineLinkModel;
  merges: LineLinkMergeModel;
  codes: LinkCodeModel;
  nonces: LinkNonceModel;
  /** Makes the user's rich menu follow their link, durably (see LinkService). */
  followMenu: (lineUserId: string) => Promise<void>;
  clock: () => Date;
  logger: Logger;
}

/**
 * The LINE step of a member merge (POST /internal/merges from the members service), idempotent by mergeId: the
 * merged member's link moves to the survivor, or, when the survivor has a link of its own, that one stays and the
 * merged member's is unlinked and recorded for staff. Either way each member keeps at most one LINE user and each
 * LINE user at most one member.
 */
export class LinkMergeService {
  constructor(private readonly deps: LinkMergeDeps) {}

  async merge(body: unknown): Promise<{ outcome: LinkMergeOutcome }> {
    const input = mergeSchema.safeParse(body);
    if (!input.success) throw new BadUserInputError('mergeId, fromMemberId and toMemberId are required', { field: 'mergeId' });
    const decision = (await this.deps.merges.findById(input.data.mergeId).lean<LineLinkMergeDoc>().exec()) ?? (await this.decide(input.data));
    const outcome = await this.carryOut(decision);
    // a code or nonce issued to the merged member would link a second LINE user to whoever it now leads to
    await Promise.all([
      this.deps.codes.deleteMany({ memberId: decision.fromMemberId }).exec(),
      this.deps.nonces.deleteMany({ memberId: decision.fromMemberId }).exec(),
    ]);
    return { outcome };
  }

  /** LINE accounts unlinked by merges into these members because they kept their own, oldest first, in key order. */
  async keptBySurvivors(memberIds: readonly string[]): Promise<KeptLinkRecord[][]> {
    const docs = await this.deps.merges
      .find({ toMemberId: { $in: [...memberIds] }, outcome: 'KEPT_SURVIVOR' })
      .sort({ decidedAt: 1, _id: 1 })
      .lean<LineLinkMergeDoc[]>()
      .exec();
    const kept = docs.filter((doc): doc is KeptLinkRecord => doc.lineUserId !== null && doc.linkedAt !== null);
    return memberIds.map((id) => kept.filter((doc) => doc.toMemberId === id));
  }

  /** The first decision inserted is the one every runner of the merge follows. */
  private async decide(input: z.infer<typeof mergeSchema>): Promise<LineLinkMergeDoc> {
    const [from, to] = await Promise.all([this.linkOfMember(input.fromMemberId), this.linkOfMember(input.toMemberId)]);
    const outcome: LinkMergeOutcome = !from ? 'NONE' : to ? 'KEPT_SURVIVOR' : 'MOVED';
    const claim = await claimOnce(this.deps.merges, this.decisionDoc(input, outcome, from));
    if (claim.won) return claim.doc;
    if (!claim.existing) throw new Error(`link merge ${input.mergeId} clashed but cannot be read`);
    return claim.existing;
  }

  private decisionDoc(input: z.infer<typeof mergeSchema>, outcome: LinkMergeOutcome, from: LineLinkDoc | null): LineLinkMergeDoc {
    return {
      _id: input.mergeId,
      fromMemberId: input.fromMemberId,
      toMemberId: input.toMemberId,
      outcome,
      lineUserId: from?._id ?? null,
      displayName: from?.displayName ?? null,
      linkedAt: from?.linkedAt ?? null,
      decidedAt: this.deps.clock(),
    };
  }

  /**
   * Written so that running it again, after a crash anywhere, finishes the job. Every change is conditional on the
   * link still belonging to the merged member, so a link the customer removed or made since is left alone.
   */
  private async carryOut(decision: LineLinkMergeDoc): Promise<LinkMergeOutcome> {
    const lineUserId = decision.lineUserId;
    if (decision.outcome === 'NONE' || !lineUserId) return 'NONE';
    let outcome: LinkMergeOutcome = decision.outcome;
    if (outcome === 'MOVED') {
      try {
        // memberId is unique: if the survivor was linked since the decision, this write is refused whole, never
        // leaving the survivor with two LINE users (nor the moved link half-written)
        await this.deps.links.updateOne({ _id: lineUserId, memberId: decision.fromMemberId }, { $set: { memberId: decision.toMemberId } }).exec();
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        outcome = await this.survivorLinkedMeanwhile(decision);
      }
    }
    if (outcome === 'KEPT_SURVIVOR') await this.deps.links.deleteOne({ _id: lineUserId, memberId: decision.fromMemberId }).exec();
    this.deps.logger.info({ mergeId: decision._id, outcome }, 'LINE link merged');
    await this.deps.followMenu(lineUserId);
    return outcome;
  }

  /** FerretDB's E11000 does not say which key clashed: it can only be the survivor's memberId, read to be sure. */
  private async survivorLinkedMeanwhile(decision: LineLinkMergeDoc): Promise<LinkMergeOutcome> {
    const survivors = await this.linkOfMember(decision.toMemberId);
    if (survivors?._id === decision.lineUserId) return 'MOVED';
    if (!survivors) throw new Error(`link merge ${decision._id}: the move clashed with a link that is gone; retried by the merge`);
    // every runner of this merge that gets here writes the same, so the unconditional update cannot go wrong
    await this.deps.merges.updateOne({ _id: decision._id }, { $set: { outcome: 'KEPT_SURVIVOR' } }).exec();
    return 'KEPT_SURVIVOR';
  }

  private linkOfMember(memberId: string): Promise<LineLinkDoc | null> {
    return this.deps.links.findOne({ memberId }).lean<LineLinkDoc>().exec();
  }
}
