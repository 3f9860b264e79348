import type { AudienceSource, AudienceSpec, Recipient } from '../delivery/audience';
import type { SegmentEvaluator } from './segment-evaluator';
import type { SegmentService } from './segment.service';

/**
 * A delivery's recipients: every linked LINE user whose member matches the segment (saved or given) now, or who is
 * one of the members named; ACTIVE members only, blocked users included and marked, so the delivery can count what
 * it skips.
 */
export class SegmentAudienceSource implements AudienceSource {
  constructor(
    private readonly segments: SegmentService,
    private readonly evaluator: SegmentEvaluator,
  ) {}

  async resolve(spec: AudienceSpec): Promise<Recipient[]> {
    const matches = spec.memberIds ? await this.evaluator.members(spec.memberIds) : (await this.evaluator.evaluate(await this.segments.definitionFor(spec))).matches;
    return matches.map(({ memberId, lineUserId, blocked }) => ({ memberId, lineUserId, blocked }));
  }
}
