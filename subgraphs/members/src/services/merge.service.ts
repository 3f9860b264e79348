import type { Types } from 'mongoose';
import { z } from 'zod';
import { requireAdmin, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { lineContract } from '@omo/lib/contracts/line';
import { pointsContract } from '@omo/lib/contracts/points';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, type InternalCallerOptions, type ServiceDirectory } from '@omo/lib/server/internal-api';
import { KeyedLock } from '@omo/lib/core/keyed-lock';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MemberMerge } from '../__generated__/resolvers-types';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import {
  MERGE_STEPS,
  type MemberMergeDoc,
  type MemberMergeModels,
  type MergeOutcomeDoc,
  type MergeRefusal,
  type MergeStep,
} from '../models/member-merge.model';
import { parseMemberId } from './member.service';

/** The members outbox item type that resumes a merge. */
export const MERGE_OUTBOX_TYPE = 'merge';

/** The same limit registerMember and updateMember enforce. */
const MAX_TAGS = 20;
/** Rounds of "insert, clash, clean up a finished merge's leftover claim" before reporting the member as busy. */
const MAX_CLAIM_ATTEMPTS = 3;

export type MergeState = 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'REFUSED';

export interface MergeServiceOptions {
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  logger: Logger;
}

/** What the outbox item carries: enough to write the merge record if the request stopped before it did. */
const mergeRequestSchema = z.object({
  mergeId: z.string().min(1),
  attempt: z.number().int().min(1),
  survivorId: z.string().regex(/^[0-9a-f]{24}$/),
  mergedId: z.string().regex(/^[0-9a-f]{24}$/),
  requestedBy: z.string().min(1),
  requestedAt: z.coerce.date(),
});
type MergeRequest = z.infer<typeof mergeRequestSchema>;

/** A step that needs another service failed; the merge is committed and stays IN_PROGRESS until a retry succeeds. */
class MergeStepFailed extends Error {
  constructor(
    readonly step: MergeStep,
    reason: string,
  ) {
    super(`merge step ${step} failed: ${reason}`);
    this.name = 'MergeStepFailed';
  }
}

/** The id of a pair's first merge attempt (and of every attempt, with "#<attempt>" from the second on). */
export function mergeIdOf(mergedId: string, survivorId: string, attempt = 1): string {
  return attempt === 1 ? `${mergedId}->${survivorId}` : `${mergedId}->${survivorId}#${attempt}`;
}

export function mergeState(merge: MemberMergeDoc): MergeState {
  if (merge.refusedAt) return 'REFUSED';
  if (merge.completedAt) return 'COMPLETED';
  return merge.committedAt ? 'IN_PROGRESS' : 'PENDING';
}

export function toMemberMergeView(merge: MemberMergeDoc): MemberMerge {
  const state = mergeState(merge);
  return {
    id: merge._id,
    survivorId: merge.survivorId.toHexString(),
    mergedId: merge.mergedId.toHexString(),
    state,
    pendingSteps: state === 'PENDING' || state === 'IN_PROGRESS' ? MERGE_STEPS.filter((step) => !merge.steps[step]) : [],
    pointsMoved: merge.pointsMoved,
    purchasesMoved: merge.purchasesMoved,
    refusalReason: merge.refusal?.message ?? null,
    requestedAt: merge.requestedAt,
    completedAt: merge.completedAt,
  };
}

function parseId(value: string, field: string): Types.ObjectId {
  try {
    return parseMemberId(value);
  } catch {
    throw new BadUserInputError('Not a valid member id', { field });
  }
}

/**
 * Why these two members cannot be merged now, or null. Statuses only ever move from ACTIVE to MERGED or WITHDRAWN,
 * so a reason found once stays true: a refusal can be kept and repeated.
 */
function statusRefusal(survivor: MemberDoc | null, merged: MemberDoc | null): MergeRefusal | null {
  if (!survivor) return { message: 'The surviving member no longer exists', field: 'survivorId' };
  if (!merged) return { message: 'The member to merge no longer exists', field: 'mergedId' };
  if (survivor.status === 'MERGED') return { message: 'Cannot merge into a member that has been merged into another member', field: 'survivorId' };
  if (survivor.status === 'WITHDRAWN') return { message: 'Cannot merge into a withdrawn member', field: 'survivorId' };
  if (merged.status === 'WITHDRAWN') return { message: 'A withdrawn member cannot be merged', field: 'mergedId' };
  // MERGED into this very survivor is this merge's own first step, seen by a runner that resumes it
  if (merged.status === 'MERGED' && !merged.mergedIntoId?.equals(survivor._id)) {
    return { message: 'This member has already been merged into another member', field: 'mergedId' };
  }
  return null;
}

/**
 * Merges a duplicate member into the member who stays, across services, without transactions:
 *
 * 1. The request is checked (nothing written on refusal), queued in the outbox, and the merge record written:
 *    from then on the outbox worker finishes whatever a crash or an unreachable service leaves undone.
 * 2. Each member is claimed: an insert keyed by member id, so a member is in one unfinished merge at a time.
 *    This is what stops A->B and B->A (or A->B and B->C) from both going ahead: whichever claims the shared member
 *    second is refused, and one that starts after the other has finished sees it in the statuses.
 * 3. The outcome is inserted: REFUSE if a member is held by another unfinished merge or the statuses forbid the
 *    merge (checked again now that nothing else can change them), else COMMIT. The first outcome written is the
 *    one every runner of the merge follows.
 * 4. Committed steps, each idempotent and recorded when done: mark the merged member MERGED (its code now leads to
 *    the survivor, so new purchases land there), move tags and contacts, points, purchases, the LINE link. Then
 *    the claims go.
 */
export class MergeService {
  /** Spares the request and the worker in one process from running the same merge side by side (harmless, wasteful). */
  private readonly lock = new KeyedLock();

  constructor(
    private readonly members: MembersModels,
    private readonly models: MemberMergeModels,
    private readonly outbox: Outbox,
    private readonly options: MergeServiceOptions,
  ) {}

  /** Staff's mergeMembers: starts or resumes the merge and returns the survivor as it is afterwards. */
  async merge(caller: Caller, survivorIdInput: string, mergedIdInput: string): Promise<MemberDoc> {
    const staff = requireAdmin(caller);
    const survivorId = parseId(survivorIdInput, 'survivorId');
    const mergedId = parseId(mergedIdInput, 'mergedId');
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
        await this.checkRequest(survivorId, mergedId);
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

  /** The checks a request gets before anything is written: NOT_FOUND or BAD_USER_INPUT. */
  private async checkRequest(survivorId: Types.ObjectId, mergedId: Types.ObjectId): Promise<void> {
    const [survivor, merged] = await this.loadMembers(survivorId, mergedId);
    if (!survivor || !merged) throw new NotFoundError('Member');
    const refusal = statusRefusal(survivor, merged);
    if (refusal) throw new BadUserInputError(refusal.message, { field: refusal.field });
    const tags = new Set([...survivor.tags, ...merged.tags]);
    if (tags.size > MAX_TAGS) {
      throw new BadUserInputError(`Together the two members have ${tags.size} tags, more than ${MAX_TAGS}; remove some first`, { field: 'tags' });
    }
  }

  private async writeRecord(request: MergeRequest): Promise<void> {
    try {
      await this.models.merges.create({
        _id: request.mergeId,
        attempt: request.attempt,
        survivorId: request.survivorId,
        mergedId: request.mergedId,
        requestedBy: request.requestedBy,
        requestedAt: request.requestedAt,
        steps: {},
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Takes a merge as far as it can go now; throws MergeStepFailed when a service it needs does not answer. */
  private async advance(mergeId: string): Promise<MemberMergeDoc> {
    const merge = await this.get(mergeId);
    if (merge.completedAt || merge.refusedAt) return merge;
    const outcome = (await this.models.outcomes.findById(mergeId).lean<MergeOutcomeDoc>().exec()) ?? (await this.decide(merge));
    if (outcome.outcome === 'REFUSE') return this.refuse(merge, outcome);
    return this.runSteps(merge, outcome);
  }

  private async get(mergeId: string): Promise<MemberMergeDoc> {
    const merge = await this.models.merges.findById(mergeId).lean<MemberMergeDoc>().exec();
    if (!merge) throw new Error(`merge ${mergeId} has no record`);
    return merge;
  }

  /**
   * Claims both members, then judges: REFUSE when another unfinished merge holds one of them or the statuses
   * forbid the merge, else COMMIT. Claims are taken in id order, so that of two merges sharing two members
   * (A->B and B->A) the one that claims the first also gets the second.
   */
  private async decide(merge: MemberMergeDoc): Promise<MergeOutcomeDoc> {
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
      const [survivor, merged] = await this.loadMembers(merge.survivorId, merge.mergedId);
      refusal = statusRefusal(survivor, merged);
    }
    const outcome: MergeOutcomeDoc = { _id: merge._id, outcome: refusal ? 'REFUSE' : 'COMMIT', refusal, decidedAt: this.options.clock() };
    try {
      await this.models.outcomes.create(outcome);
      return outcome;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const first = await this.models.outcomes.findById(merge._id).lean<MergeOutcomeDoc>().exec();
    if (!first) throw new Error(`merge ${merge._id}: outcome clashed but cannot be read`);
    return first;
  }

  /** Null when this merge holds the member; otherwise the id of the unfinished merge that does. */
  private async claim(memberId: string, mergeId: string): Promise<string | null> {
    let holder = 'another merge';
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
      try {
        await this.models.claims.create({ _id: memberId, mergeId, createdAt: this.options.clock() });
        return null;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const claim = await this.models.claims.findById(memberId).lean().exec();
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
    const [merge, outcome] = await Promise.all([
      this.models.merges.findById(mergeId).lean<MemberMergeDoc>().exec(),
      this.models.outcomes.findById(mergeId).lean<MergeOutcomeDoc>().exec(),
    ]);
    return !merge || Boolean(merge.completedAt) || outcome?.outcome === 'REFUSE';
  }

  private async refuse(merge: MemberMergeDoc, outcome: MergeOutcomeDoc): Promise<MemberMergeDoc> {
    const updated = await this.models.merges
      .findOneAndUpdate({ _id: merge._id }, { $set: { refusedAt: outcome.decidedAt, refusal: outcome.refusal } }, { new: true })
      .lean<MemberMergeDoc>()
      .exec();
    await this.releaseClaims(merge);
    return updated ?? merge;
  }

  private async runSteps(initial: MemberMergeDoc, outcome: MergeOutcomeDoc): Promise<MemberMergeDoc> {
    let merge = initial;
    if (!merge.committedAt) merge = await this.record(merge, { committedAt: outcome.decidedAt });
    for (const step of MERGE_STEPS) {
      if (merge.steps[step]) continue;
      const results = await this.runStep(step, merge);
      merge = await this.record(merge, { [`steps.${step}`]: this.options.clock(), ...results });
    }
    merge = await this.record(merge, { completedAt: this.options.clock(), lastError: null });
    await this.releaseClaims(merge);
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
      case 'POINTS': {
        const { moved } = await this.callStep(merge, step, (caller, request) => internalClient(pointsContract, caller).merge({ ...request, actor: merge.requestedBy }));
        return { pointsMoved: moved };
      }
      case 'PURCHASES': {
        const { moved } = await this.callStep(merge, step, (caller, request) => internalClient(purchasesContract, caller).merge(request));
        return { purchasesMoved: moved };
      }
      case 'LINE':
        await this.callStep(merge, step, (caller, request) => internalClient(lineContract, caller).merge(request));
        return {};
    }
  }

  /** The internal merge routes are idempotent by mergeId, so a retry after a timeout or a crash moves nothing twice. */
  private async callStep<T>(
    merge: MemberMergeDoc,
    step: MergeStep,
    send: (caller: InternalCallerOptions, request: { mergeId: string; fromMemberId: string; toMemberId: string }) => Promise<T>,
  ): Promise<T> {
    try {
      return await send(
        { directory: this.options.services, internalSecret: this.options.internalSecret, service: 'members' },
        { mergeId: merge._id, fromMemberId: merge.mergedId.toHexString(), toMemberId: merge.survivorId.toHexString() },
      );
    } catch (error) {
      // Whatever the reason (down, or a refusal that can only be a bug on one side), the merge is committed: it
      // waits for the step to succeed rather than surface the other service's error as the caller's mistake.
      const reason = error instanceof Error ? error.message : String(error);
      await this.models.merges.updateOne({ _id: merge._id }, { $set: { lastError: `${step}: ${reason}` } });
      throw new MergeStepFailed(step, reason);
    }
  }

  /**
   * The merged member's tags are added to the survivor's. Its e-mail and phone move to the survivor where the
   * survivor has none of that kind, with their contact claims, so online orders and look-ups by them find the
   * survivor. A contact the survivor already has a different one of stays on the merged member with its claim: it
   * still keeps anyone else from registering it, and staff who try are shown a code that leads to the survivor.
   * Written so that running it again after a crash at any point finishes the job.
   */
  private async mergeProfile(merge: MemberMergeDoc): Promise<void> {
    const [survivor, merged] = await this.loadMembers(merge.survivorId, merge.mergedId);
    if (!survivor || !merged) throw new Error(`merge ${merge._id}: a member has disappeared`);
    if (merged.tags.length) await this.members.members.updateOne({ _id: survivor._id }, { $addToSet: { tags: { $each: merged.tags } } });
    for (const kind of ['email', 'phone'] as const) {
      const value = merged[kind];
      if (!value) continue;
      if (!survivor[kind]) {
        await this.members.members.updateOne({ _id: survivor._id, [kind]: null, status: 'ACTIVE' }, { $set: { [kind]: value } });
        const after = await this.members.members.findById(survivor._id, { [kind]: 1 }).lean<Pick<MemberDoc, 'email' | 'phone'>>().exec();
        if (after?.[kind] !== value) continue;
      } else if (survivor[kind] !== value) {
        continue;
      }
      const key = `${kind}:${value}`;
      const moved = await this.members.contactClaims.updateOne({ _id: key, memberId: merged._id }, { $set: { memberId: survivor._id } });
      if (moved.matchedCount === 0) await this.ensureClaim(key, survivor._id);
      // cleared last: until then the merged member still holds the value its claim names, so the claim stays live
      await this.members.members.updateOne({ _id: merged._id, [kind]: value }, { $set: { [kind]: null } });
    }
  }

  /** A contact the survivor now holds is claimed by it (the claim was moved on an earlier run, or never written). */
  private async ensureClaim(key: string, memberId: Types.ObjectId): Promise<void> {
    try {
      await this.members.contactClaims.create({ _id: key, memberId, createdAt: this.options.clock() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  private async record(merge: MemberMergeDoc, set: Record<string, unknown>): Promise<MemberMergeDoc> {
    const updated = await this.models.merges.findOneAndUpdate({ _id: merge._id }, { $set: set }, { new: true }).lean<MemberMergeDoc>().exec();
    if (!updated) throw new Error(`merge ${merge._id} has no record`);
    return updated;
  }

  private async releaseClaims(merge: MemberMergeDoc): Promise<void> {
    await this.models.claims.deleteMany({ _id: { $in: [merge.survivorId.toHexString(), merge.mergedId.toHexString()] }, mergeId: merge._id });
  }

  private loadMembers(survivorId: Types.ObjectId, mergedId: Types.ObjectId): Promise<[MemberDoc | null, MemberDoc | null]> {
    return Promise.all([
      this.members.members.findById(survivorId).lean<MemberDoc>().exec(),
      this.members.members.findById(mergedId).lean<MemberDoc>().exec(),
    ]);
  }
}
