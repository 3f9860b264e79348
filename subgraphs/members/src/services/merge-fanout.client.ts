import { callInternal, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { MemberMergeDoc } from '../models/member-merge.model';

/** The services that hold something of a member and move it to the survivor when members merges two. */
export type MergeTarget = 'points' | 'purchases' | 'line';

/** Tells the other services of a committed merge: POST /internal/merges at each, keyed by the merge id. */
export class MergeFanoutClient {
  constructor(
    private readonly services: ServiceDirectory,
    private readonly internalSecret: string,
  ) {}

  /** The internal merge routes are idempotent by mergeId, so a retry after a timeout or a crash moves nothing twice. */
  move<T>(merge: MemberMergeDoc, target: MergeTarget, extra: Record<string, string>): Promise<T> {
    return callInternal<T>({
      directory: this.services,
      target,
      path: '/internal/merges',
      body: { mergeId: merge._id, fromMemberId: merge.mergedId.toHexString(), toMemberId: merge.survivorId.toHexString(), ...extra },
      internalSecret: this.internalSecret,
      service: 'members',
    });
  }
}
