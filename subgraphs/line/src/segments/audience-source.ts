import type { AudienceSource, AudienceSpec, Recipient } from '../delivery/audience';
import type { SegmentEvaluator } from './segment-evaluator';
import type { SegmentService } from './segment.service';

/**
 * A delivery's recipients: every linked LINE user whose member matches the segment (saved or given) now, blocked
 * ones included and marked, so the delivery can count what it skips.
 */
export class SegmentAudienceSource implements AudienceSource {
  constructor(
    private readonly segments: SegmentService,
    private readonly evaluator: SegmentEvaluator,
  ) {}

  async resolve(spec: AudienceSpec): Promise<Recipient[]> {
    const { matches } = await this.evaluator.evaluate(await this.segments.definitionFor(spec));
    return matches.map(({ memberId, lineUserId, blocked }) => ({ memberId, lineUserId, blocked }));
  }
}
