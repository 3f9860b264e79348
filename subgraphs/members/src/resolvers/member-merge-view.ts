import type { MemberMerge } from '../__generated__/resolvers-types';
import { MERGE_STEPS, type MemberMergeDoc } from '../models/member-merge.model';
import { mergeState } from '../services/merge-state';

/** A merge record as the API shows it (Member.merges). */
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
