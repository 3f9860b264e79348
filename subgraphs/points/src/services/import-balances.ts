import type { z } from 'zod';
import { mapLimit } from '@omo/lib/core/concurrency';
import type { importBalancesSchema, pointsContract } from '@omo/lib/contracts/points';
import type { LedgerService } from './ledger.service';
import { forCurrentMember } from './ledger-merges';
import type { PolicyService } from './policy.service';
import type { RecordSpendInput, TierService } from './tier.service';

type ImportBalancesInput = z.output<typeof importBalancesSchema>;
type ImportBalancesResult = z.infer<typeof pointsContract.routes.importBalances.response>;

/** Members of one call appended at once: each append is a few commands of its own member, none shared. */
const PARALLEL_MEMBERS = 8;

/**
 * The points side of the member import (docs/member-import.md): per member, one IMPORT ledger entry with a lot per
 * expiry date (keyed by the item's key: LedgerService.importedFirst for the call's new members in one insert,
 * LedgerService.imported for any it did not write) and, for an imported tier, a qualifying-spend
 * record of that tier's threshold dated now, under the same key, so the tier holds for one tier window from the
 * import and then follows spend like any other: the call's records in one insert once every entry is written,
 * and their tier changes decided together (TierService.recordSpendMany), so the call costs a few commands for
 * its tiers however many members have one. Both writes are keyed inserts: a resent item repeats nothing, and one
 * that died between them writes the missing one. The ledger entries go first: a tier without its points is the
 * worse half to be left with. A member merged away before their item arrived is imported onto the survivor.
 */
export class ImportBalances {
  constructor(
    private readonly ledger: LedgerService,
    private readonly tiers: TierService,
    private readonly policy: PolicyService,
    private readonly clock: () => Date,
  ) {}

  async importBalances(input: ImportBalancesInput): Promise<ImportBalancesResult> {
    const { tiers } = await this.policy.getPolicy();
    const items = input.items.map((item, index) => ({ ...item, memberId: item.memberId.toLowerCase(), index }));
    // New members' entries in one insert; any the index refuses (an earlier run's key, a member with entries, a
    // member merged away) go the ordinary way below, which reads the head and the key.
    const firsts = await this.ledger.importedFirst(items.map((item) => ({ memberId: item.memberId, key: item.key, actor: input.actor, lots: item.lots })));
    const spends: RecordSpendInput[] = [];
    const results = await mapLimit(items, PARALLEL_MEMBERS, async (item) => {
      const first = firsts[item.index];
      const step = async (holder: string) => {
        const entry = first ?? (await this.ledger.imported({ memberId: holder, key: item.key, actor: input.actor, lots: item.lots }));
        const threshold = item.tier ? (tiers.find((rule) => rule.tier === item.tier)?.minSpend ?? 0) : 0;
        if (threshold > 0) spends.push({ key: item.key, memberId: holder, amountDelta: threshold, occurredAt: this.clock(), reason: 'IMPORT' });
        const writtenAt = entry?.createdAt ?? this.clock();
        const expiredLots = item.lots.filter((lot) => lot.expiresAt.getTime() <= writtenAt.getTime()).length;
        return { memberId: holder, key: item.key, points: entry?.amount ?? 0, expiredLots };
      };
      return first ? step(item.memberId) : forCurrentMember(item.memberId, step);
    });
    await this.tiers.recordSpendMany(spends);
    return { results };
  }
}
