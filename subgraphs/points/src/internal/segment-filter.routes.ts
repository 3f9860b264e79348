import { inRange, segmentFilterHandler, type PointsCondition } from '@omo/lib/contracts/segment-filter';
import type { LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountModel } from '../models/point-account.model';
import { accountStates } from '../services/account-states';
import { emptyState, viewAt, type AccountView } from '../services/lots';
import type { TierService, TierStanding } from '../services/tier.service';

function matches(condition: PointsCondition, view: AccountView, standing: TierStanding | undefined): boolean {
  switch (condition.kind) {
    case 'tier':
      return standing !== undefined && condition.in.includes(standing.tier);
    case 'pointBalance':
      return inRange(view.balance, condition);
    case 'pointsExpiring': {
      const until = condition.until.getTime();
      const expiring = view.expiring.filter((e) => e.expiresAt.getTime() <= until).reduce((sum, e) => sum + e.points, 0);
      return expiring >= condition.minPoints;
    }
  }
}

/**
 * POST /internal/segments/filter for points (lib/contracts/segment-filter.ts): tier, usable balance and points expiring,
 * all as of the request's `at`, as the member's own screens would show them then.
 */
export function pointsSegmentFilter(deps: {
  models: { ledger: LedgerEntryModel; accounts: PointAccountModel };
  tiers: TierService;
}) {
  return segmentFilterHandler<PointsCondition>(async ({ at, memberIds, conditions }) => {
    const needsAccounts = conditions.some(({ condition }) => condition.kind !== 'tier');
    const needsTiers = conditions.some(({ condition }) => condition.kind === 'tier');
    const [states, tiers] = await Promise.all([
      needsAccounts ? accountStates(deps.models, memberIds) : memberIds.map(emptyState),
      needsTiers ? deps.tiers.tierForMany(memberIds, at) : new Map<string, TierStanding>(),
    ]);
    const views = states.map((state) => [state.memberId, viewAt(state, at)] as const);
    return new Map(
      conditions.map(({ key, condition }) => [key, new Set(views.filter(([id, view]) => matches(condition, view, tiers.get(id))).map(([id]) => id))]),
    );
  });
}
