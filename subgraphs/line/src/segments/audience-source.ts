import type { AudienceSource, AudienceSpec, Recipient } from '../delivery/audience';
import type { SegmentEvaluator } from './segment-evaluator';
import type { SegmentService } from './segment.service';

/**
 * A delivery's recipients: every linked LINE user whose member matches the segment (saved or given) now, or who is
 * one of the members named; ACTIVE members only, blocked users included and marked, so the delivery can count what
 * it skips. A segment's message is marketing: its members without marketing consent are marked too, whatever the
 * segment says. Named members are a notification about their own account (tier up, points expiring), which is
 * not marketing, so their consent is not asked.
 */
export class SegmentAudienceSource implements AudienceSource {
  constructor(
    private readonly segments: SegmentService,
    private readonly evaluator: SegmentEvaluator,
  ) {}

  async resolve(spec: AudienceSpec): Promise<Recipient[]> {
    if (spec.memberIds) {
      const members = await this.evaluator.members(spec.memberIds);
      return members.map(({ memberId, lineUserId, blocked }) => ({ memberId, lineUserId, blocked, noConsent: false }));
    }
    const { matches } = await this.evaluator.evaluateForMarketing(await this.segments.definitionFor(spec));
    return matches.map(({ memberId, lineUserId, blocked, consented }) => ({ memberId, lineUserId, blocked, noConsent: !consented }));
  }

  consenting(memberIds: string[]): Promise<Set<string>> {
    return this.evaluator.consenting(memberIds);
  }
}
