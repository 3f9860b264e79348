import DataLoader from 'dataloader';
import type { MemberMergeDoc } from '../models/member-merge.model';
import type { MergeService } from '../services/merge.service';

export interface MergeLoaders {
  /** Merges naming a member as survivor, oldest first. */
  bySurvivor: DataLoader<string, MemberMergeDoc[]>;
}

/** Built per request, so listing N members' merges costs one query. */
export function createMergeLoaders(merges: MergeService): MergeLoaders {
  return { bySurvivor: new DataLoader((survivorIds) => merges.bySurvivors(survivorIds)) };
}
