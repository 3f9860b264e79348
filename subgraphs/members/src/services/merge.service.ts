import { Types } from 'mongoose';
import { requireAdmin, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { KeyedLock } from '@omo/lib/core/keyed-lock';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import type { MemberMergeDoc, MemberMergeModels, MergeOutcomeDoc } from '../models/member-merge.model';
import { ContactClaims } from './contact-claims';
import { parseMemberId } from './member-id';
import { MergeDecision } from './merge-decision';
import { MergeFanoutClient } from './merge-fanout.client';
import { checkMergeRequest, mergeIdOf, mergeRequestSchema, type MergeRequest } from './merge-request';
import { MergeStepFailed, MergeSteps } from './merge-steps';
import { mergeState, type MergeState } from './merge-state';

/** The members outbox item type that resumes a merge. */
export const MERGE_OUTBOX_TYPE = 'merge';

export interface MergeServiceOptions {
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  logger: Logger;
}

/**
 * Merges a duplicate member into the member who stays, across services, without transactions:
 *
 * 1. The request is checked (merge-request.ts; nothing written on refusal), queued in the outbox, and the merge
 *    record written: from then on the outbox worker finishes whatever a crash or an unreachable service leaves undone.
 * 2. Each member is claimed: an insert keyed by member id, so a member is in one unfinished merge at a time.
 *    This is what stops A->B and B->A (or A->B and B->C) from both going ahead: whichever claims the shared member
 *    second is refused, and one that starts after the other has finished sees it in the statuses.
 * 3. The outcome is inserted: REFUSE if a member is held by another unfinished merge or the statuses forbid the
 *    merge (checked again now that nothing else can change them), else COMMIT. The first outcome written is the
 *    one every runner of the merge follows (merge-decision.ts).
 * 4. Committed steps, each idempotent and recorded when done (merge-steps.ts; the other services are told through
 *    merge-fanout.client.ts). Then the claims go.
 */
export class MergeService {
  /** Spares the request and the worker in one process from running the same merge side by side (harmless, wasteful). */
  private readonly lock = new KeyedLock();
  private readonly decision: MergeDecision;
  private readonly steps: MergeSteps;

  constructor(
    private readonly members: MembersModels,
    private readonly models: MemberMergeModels,
    private readonly outbox: Outbox,
    private readonly options: MergeServiceOptions,
  ) {
    this.decision = new MergeDecision(members.members, models, options.clock);
    const fanout = new MergeFanoutClient(options.services, options.internalSecret);
    this.steps = new MergeSteps(members, models, new ContactClaims(members, options.clock), this.decision, fanout, options.clock);
  }

  /** Staff's mergeMembers: starts or resumes the merge and returns the survivor as it is afterwards. */
  async merge(caller: Caller, survivorIdInput: string, mergedIdInput: string): Promise<MemberDoc> {
    const staff = requireAdmin(caller);
    const survivorId = parseMemberId(survivorIdInput, 'survivorId');
    const mergedId = parseMemberId(mergedIdInput, 'mergedId');
    if (survivorId.equals(mergedId)) throw new BadUserInputError('A member cannot be merged into itself', { field: 'mergedId' });
    return this.lock.run(mergeIdOf(mergedId.toHexString(), survivorId.toHexString()), async () => {
      const latest = await this.models.merges
        .findOne({ mergedId, survivorId })
        .sort({ attempt: -1 })
        .lean<MemberMergeDoc>()
        .exec();
      let mergeId: string;
      if (latest && !latest.refusedAt) {
        mergeId = latest._id;
      } else {
        await checkMergeRequest(this.members.members, survivorId, mergedId);
        // a refused attempt changed nothing; a new one gets its own id, so its record, outcome and outbox item are fresh
        const attempt = (latest?.attempt ?? 0) + 1;
        const request: MergeRequest = {
          mergeId: mergeIdOf(mergedId.toHexString(), survivorId.toHexString(), attempt),
          attempt,
          survivorId: survivorId.toHexString(),
          mergedId: mergedId.toHexString(),
          requestedBy: `staff:${staff.staffId}`,
          requestedAt: this.options.clock(),
        };
        // queued before the record, so there is no moment after which a crash leaves nobody to finish the merge
        await this.outbox.enqueue(`${MERGE_OUTBOX_TYPE}:${request.mergeId}`, MERGE_OUTBOX_TYPE, { ...request, requestedAt: request.requestedAt.toISOString() });
        await this.writeRecord(request);
        mergeId = request.mergeId;
      }
      let merge: MemberMergeDoc;
      try {
        merge = await this.advance(mergeId);
      } catch (error) {
        if (!(error instanceof MergeStepFailed)) throw error;
        this.options.logger.warn({ mergeId, step: error.step, err: error.message }, 'merge step failed; the outbox retries it');
        merge = await this.get(mergeId);
      }
      if (merge.refusal) throw new BadUserInputError(merge.refusal.message, { field: merge.refusal.field });
      const survivor = await this.members.members.findById(merge.survivorId).lean<MemberDoc>().exec();
      if (!survivor) throw new NotFoundError('Member');
      return survivor;
    });
  }

  /** The members outbox handler: carries the merge as far as it goes; retried until COMPLETED or REFUSED. */
  async resume(payload: Record<string, unknown>): Promise<{ state: MergeState; pointsMoved: number | null; purchasesMoved: number | null }> {
    const request = mergeRequestSchema.parse(payload);
    return this.lock.run(mergeIdOf(request.mergedId, request.survivorId), async () => {
      await this.writeRecord(request);
      const merge = await this.advance(request.mergeId);
      return { state: mergeState(merge), pointsMoved: merge.pointsMoved, purchasesMoved: merge.purchasesMoved };
    });
  }

  /** The merges naming these members as survivor, oldest first, in key order (for a DataLoader). */
  async bySurvivors(survivorIds: readonly string[]): Promise<MemberMergeDoc[][]> {
    const merges = await this.models.merges
      .find({ survivorId: { $in: survivorIds } })
      .sort({ requestedAt: 1, _id: 1 }) // the id breaks ties: two merges asked in the same millisecond
      .lean<MemberMergeDoc[]>()
      .exec();
    return survivorIds.map((id) => merges.filter((merge) => merge.survivorId.toHexString() === id));
  }

  /** Written once by whichever runner gets there first (the request, or the worker after a crash). */
  private async writeRecord(request: MergeRequest): Promise<void> {
    await insertOnce(this.models.merges, {
      _id: request.mergeId,
      attempt: request.attempt,
      survivorId: new Types.ObjectId(request.survivorId),
      mergedId: new Types.ObjectId(request.mergedId),
      requestedBy: request.requestedBy,
      requestedAt: request.requestedAt,
      committedAt: null,
      refusedAt: null,
      refusal: null,
      steps: {},
      pointsMoved: null,
      purchasesMoved: null,
      completedAt: null,
      lastError: null,
    });
  }

  /** Takes a merge as far as it can go now; throws MergeStepFailed when a service it needs does not answer. */
  private async advance(mergeId: string): Promise<MemberMergeDoc> {
    const merge = await this.get(mergeId);
    if (merge.completedAt || merge.refusedAt) return merge;
    const outcome = (await this.decision.outcome(mergeId)) ?? (await this.decision.decide(merge));
    if (outcome.outcome === 'REFUSE') return this.refuse(merge, outcome);
    return this.steps.run(merge, outcome);
  }

  private async get(mergeId: string): Promise<MemberMergeDoc> {
    const merge = await this.models.merges.findById(mergeId).lean<MemberMergeDoc>().exec();
    if (!merge) throw new Error(`merge ${mergeId} has no record`);
    return merge;
  }

  private async refuse(merge: MemberMergeDoc, outcome: MergeOutcomeDoc): Promise<MemberMergeDoc> {
    const updated = await this.models.merges
      .findOneAndUpdate({ _id: merge._id }, { $set: { refusedAt: outcome.decidedAt, refusal: outcome.refusal } }, { new: true })
      .lean<MemberMergeDoc>()
      .exec();
    await this.decision.release(merge);
    return updated ?? merge;
  }
}
