import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { DeliveryService } from '../delivery/delivery.service';
import type { Candidate, SegmentEvaluator } from '../segments/segment-evaluator';
import type { Tier } from '../segments/segment-definition';
import type { LineUserModel } from '../webhook/line-user.model';
import { localesOf } from './member-locales';
import type { MemberTierDoc, NotificationModels } from './notification.model';
import { NOTIFICATION_ACTOR, ruleMessages, type NotificationRuleView } from './notification-rules.service';
import type { Locale } from '../i18n/locale';

/** Lowest first, as the points service ranks them. */
export const TIERS: readonly Tier[] = ['REGULAR', 'SILVER', 'GOLD', 'PLATINUM'];
/** Members per read and write of line_member_tiers. */
const CHUNK = 5_000;

export interface TierUpRun {
  /** Linked ACTIVE members whose tier was looked at. */
  checked: number;
  /** Tier-up deliveries asked for (a member and tier already congratulated counts, and is not sent again). */
  notified: number;
}

/**
 * TIER_UP: compares each linked member's tier (asked of the points service in batches, one segment per tier) with
 * the tier this service last saw them at (line_member_tiers) and sends a member who went up the rule's messages, in
 * a delivery of their own keyed `tier-up:<memberId>:<tier>`, in their LINE's language: however often or concurrently this runs, a member is
 * congratulated on a tier once. Nothing is watched while the rule is off; a sighting from before the rule was last
 * turned on, or before the member's current LINE link, only records the tier (no news to announce).
 */
export class TierUpNotifier {
  constructor(
    private readonly deps: {
      evaluator: SegmentEvaluator;
      deliveries: Pick<DeliveryService, 'createOnce'>;
      models: Pick<NotificationModels, 'memberTiers'>;
      users: LineUserModel;
    },
  ) {}

  async run(rule: NotificationRuleView): Promise<TierUpRun> {
    if (!rule.enabled || !rule.enabledAt) return { checked: 0, notified: 0 };
    const enabledAt = rule.enabledAt;
    const { at, matches } = await this.deps.evaluator.evaluateEach(TIERS.map((tier) => ({ tier: [tier] })));
    const members = matches.flatMap((list, i) => list.map((candidate) => ({ candidate, tier: TIERS[i]! })));
    let notified = 0;
    for (let i = 0; i < members.length; i += CHUNK) {
      const chunk = members.slice(i, i + CHUNK);
      const seen = await this.deps.models.memberTiers
        .find({ _id: { $in: chunk.map((m) => m.candidate.memberId) } })
        .lean<MemberTierDoc[]>()
        .exec();
      const lastOf = new Map(seen.map((doc) => [doc._id, doc]));
      const locales = await localesOf(this.deps.users, chunk.map((m) => m.candidate.lineUserId));
      const sightings: { memberId: string; tier: Tier }[] = [];
      for (const { candidate, tier } of chunk) {
        const last = lastOf.get(candidate.memberId);
        const news = last !== undefined && last.seenAt.getTime() >= Math.max(enabledAt.getTime(), candidate.linkedAt.getTime());
        if (news && rank(tier) > rank(last.tier) && !candidate.blocked) {
          await this.congratulate(candidate, tier, rule, locales.get(candidate.lineUserId) ?? 'ja');
          notified += 1;
        }
        if (!news || last.tier !== tier) sightings.push({ memberId: candidate.memberId, tier });
      }
      await this.record(sightings, at);
    }
    return { checked: members.length, notified };
  }

  private async congratulate(candidate: Candidate, tier: Tier, rule: NotificationRuleView, locale: Locale): Promise<void> {
    await this.deps.deliveries.createOnce({
      spec: { memberIds: [candidate.memberId] },
      messages: ruleMessages(rule, locale),
      idempotencyKey: `tier-up:${candidate.memberId}:${tier}`,
      actor: NOTIFICATION_ACTOR,
    });
  }

  /**
   * Written without conditions: a slower concurrent run may put back the tier it saw a moment earlier, and the next
   * run then sees the rise again, whose delivery exists already, so nobody hears twice.
   */
  private async record(sightings: { memberId: string; tier: Tier }[], at: Date): Promise<void> {
    if (sightings.length === 0) return;
    try {
      await this.deps.models.memberTiers.bulkWrite(
        sightings.map(({ memberId, tier }) => ({ updateOne: { filter: { _id: memberId }, update: { $set: { tier, seenAt: at } }, upsert: true } })),
        { ordered: false },
      );
    } catch (error) {
      // upserts, not a claim (so not insertOnce): two runs inserting the same first sighting clash, and either is true
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

function rank(tier: string): number {
  return TIERS.indexOf(tier as Tier);
}
