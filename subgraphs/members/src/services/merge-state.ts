import type { MemberMergeDoc } from '../models/member-merge.model';

export type MergeState = 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'REFUSED';

export function mergeState(merge: MemberMergeDoc): MergeState {
  if (merge.refusedAt) return 'REFUSED';
  if (merge.completedAt) return 'COMPLETED';
  return merge.committedAt ? 'IN_PROGRESS' : 'PENDING';
}
