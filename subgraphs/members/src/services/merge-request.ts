import type { Types } from 'mongoose';
import { z } from 'zod';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { CANONICAL_OBJECT_ID } from '@omo/lib/core/validation';
import type { MemberDoc, MemberModel } from '../models/member.model';
import type { MergeRefusal } from '../models/member-merge.model';
import { MAX_TAGS } from './member-input';

/** What the outbox item carries: enough to write the merge record if the request stopped before it did. */
export const mergeRequestSchema = z.object({
  mergeId: z.string().min(1),
  attempt: z.number().int().min(1),
  survivorId: z.string().regex(CANONICAL_OBJECT_ID),
  mergedId: z.string().regex(CANONICAL_OBJECT_ID),
  requestedBy: z.string().min(1),
  requestedAt: z.coerce.date(),
});
export type MergeRequest = z.infer<typeof mergeRequestSchema>;

/** The id of a pair's first merge attempt (and of every attempt, with "#<attempt>" from the second on). */
export function mergeIdOf(mergedId: string, survivorId: string, attempt = 1): string {
  return attempt === 1 ? `${mergedId}->${survivorId}` : `${mergedId}->${survivorId}#${attempt}`;
}

export function loadPair(members: MemberModel, survivorId: Types.ObjectId, mergedId: Types.ObjectId): Promise<[MemberDoc | null, MemberDoc | null]> {
  return Promise.all([members.findById(survivorId).lean<MemberDoc>().exec(), members.findById(mergedId).lean<MemberDoc>().exec()]);
}

/**
 * Why these two members cannot be merged now, or null. Statuses only ever move from ACTIVE to MERGED or WITHDRAWN,
 * so a reason found once stays true: a refusal can be kept and repeated.
 */
export function statusRefusal(survivor: MemberDoc | null, merged: MemberDoc | null): MergeRefusal | null {
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

/** The checks a request gets before anything is written: NOT_FOUND or BAD_USER_INPUT. */
export async function checkMergeRequest(members: MemberModel, survivorId: Types.ObjectId, mergedId: Types.ObjectId): Promise<void> {
  const [survivor, merged] = await loadPair(members, survivorId, mergedId);
  if (!survivor || !merged) throw new NotFoundError('Member');
  const refusal = statusRefusal(survivor, merged);
  if (refusal) throw new BadUserInputError(refusal.message, { field: refusal.field });
  const tags = new Set([...survivor.tags, ...merged.tags]);
  if (tags.size > MAX_TAGS) {
    throw new BadUserInputError(`Together the two members have ${tags.size} tags, more than ${MAX_TAGS}; remove some first`, { field: 'tags' });
  }
}
