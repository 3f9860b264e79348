import type { Logger } from '@omo/lib/core/logger';
import { DAY_MS } from '@omo/lib/core/time';
import type { MemberTierDoc, TierChangeModels } from '../models/tier-change.model';
import type { PolicyService } from './policy.service';
import type { TierChanges } from './tier-changes';
import { standingFor, type TierService } from './tier.service';

/** Members read, and their tiers computed, per query. */
const PAGE = 500;
export const TIER_JOB_CAUSE = 'tier-job';

/**
 * The tier changes no spend write shows: a member's spend leaving the rolling window with no purchase at all (a
 * drop with time), and the tier rules changed by staff. Finds members whose tier now differs from the latest
 * change recorded for them and records it through TierChanges (reason EXPIRY), which decides each change once,
 * so two replicas running at once, or a run twice, record and publish nothing twice.
 *
 * It scales with the members above REGULAR, not with the member base, in batched queries: no member is read alone
 * unless their tier changed.
 * 1. Drops: `member_tiers` above REGULAR (the copy of each member's latest change), PAGE at a time by `_id`, each
 *    page's tiers in one aggregation (TierService.tierForMany). A member whose copy lags (its writer died before
 *    copying) is found by their next spend write, or here on the next run once the item has copied it.
 * 2. Rises: one aggregation of the window's spend per member, keeping those at or above the lowest tier above
 *    REGULAR, read from a cursor PAGE at a time with their copies by `$in`.
 */
export class TierChangeJob {
  constructor(
    private readonly deps: {
      models: TierChangeModels;
      policy: PolicyService;
      tiers: TierService;
      changes: TierChanges;
      logger: Logger;
    },
  ) {}

  async run(now: Date): Promise<{ membersChecked: number; changes: number }> {
    let membersChecked = 0;
    let changes = 0;
    const record = async (memberId: string) => {
      if (await this.deps.changes.check(memberId, 'EXPIRY', TIER_JOB_CAUSE, { repair: true })) changes += 1;
    };

    for (let after = ''; ; ) {
      const page = await this.deps.models.latest
        .find({ tier: { $ne: 'REGULAR' }, _id: { $gt: after } }, { tier: 1 })
        .sort({ _id: 1 })
        .limit(PAGE)
        .lean<Pick<MemberTierDoc, '_id' | 'tier'>[]>()
        .exec();
      if (page.length === 0) break;
      membersChecked += page.length;
      const standings = await this.deps.tiers.tierForMany(page.map((m) => m._id), now);
      for (const member of page) if (standings.get(member._id)?.tier !== member.tier) await record(member._id);
      after = page[page.length - 1]!._id;
    }

    const policy = await this.deps.policy.policyAt(now);
    const lowest = policy.tiers[1]?.minSpend;
    if (lowest !== undefined) {
      const from = new Date(now.getTime() - policy.tierWindowDays * DAY_MS);
      const cursor = this.deps.tiers.spendAtLeast(lowest, from, now, PAGE);
      let batch: { _id: string; total: number }[] = [];
      const flush = async () => {
        membersChecked += batch.length;
        const copies = await this.deps.models.latest.find({ _id: { $in: batch.map((m) => m._id) } }, { tier: 1 }).lean<Pick<MemberTierDoc, '_id' | 'tier'>[]>().exec();
        const copied = new Map(copies.map((c) => [c._id, c.tier]));
        for (const member of batch) if (standingFor(Number(member.total), policy.tiers).tier !== (copied.get(member._id) ?? 'REGULAR')) await record(member._id);
        batch = [];
      };
      for await (const member of cursor) {
        batch.push(member);
        if (batch.length === PAGE) await flush();
      }
      if (batch.length) await flush();
    }
    this.deps.logger.info({ membersChecked, changes }, 'tier change run');
    return { membersChecked, changes };
  }
}
