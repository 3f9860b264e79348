import { lineContract } from '@omo/lib/contracts/line';
import { pointsContract } from '@omo/lib/contracts/points';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, type InternalCallerOptions, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { MemberMergeDoc } from '../models/member-merge.model';

/**
 * Tells the other services of a committed merge: POST /internal/merges at each (their contracts in lib/contracts),
 * keyed by the merge id. The routes are idempotent by mergeId, so a retry after a timeout or a crash moves nothing twice.
 */
export class MergeFanoutClient {
  private readonly caller: InternalCallerOptions;

  constructor(services: ServiceDirectory, internalSecret: string) {
    this.caller = { directory: services, internalSecret, service: 'members' };
  }

  /** The merged member's points move to the survivor; how many. */
  async points(merge: MemberMergeDoc): Promise<number> {
    return (await internalClient(pointsContract, this.caller).merge({ ...request(merge), actor: merge.requestedBy })).moved;
  }

  /** The merged member's purchases become the survivor's; how many. */
  async purchases(merge: MemberMergeDoc): Promise<number> {
    return (await internalClient(purchasesContract, this.caller).merge(request(merge))).moved;
  }

  /** The merged member's LINE link follows it, or the survivor keeps its own. */
  async line(merge: MemberMergeDoc): Promise<void> {
    await internalClient(lineContract, this.caller).merge(request(merge));
  }
}

function request(merge: MemberMergeDoc) {
  return { mergeId: merge._id, fromMemberId: merge.mergedId.toHexString(), toMemberId: merge.survivorId.toHexString() };
}
