import type { InternalHandler } from '@omo/lib/internal-api';
import { inBatch, inRange, pointsConditionSchema, segmentFilterHandler, type PointsCondition } from '@omo/lib/segment-filter';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';
import { emptyState, stateFromEntry, viewAt, type AccountView, type LedgerState } from '../services/lots';
import type { TierService, TierStanding } from '../services/tier.service';

/**
 * The batch's accounts in two queries: the snapshots, then the ledger entries newer than each (normally none).
 * Members are grouped by snapshot seq, so the second query has one clause per distinct seq, not one per member.
 */
async function statesOf(models: { ledger: LedgerEntryModel; accounts: PointAccountModel }, memberIds: string[]): Promise<LedgerState[]> {
  if (memberIds.length === 0) return [];
  const snapshots = await models.accounts.find({ _id: inBatch(memberIds) }).lean<PointAccountDoc[]>().exec();
  const snapshotOf = new Map(snapshots.map((s) => [s._id, s]));
  const bySeq = new Map<number, string[]>();
  for (const id of memberIds) {
    const seq = snapshotOf.get(id)?.seq ?? 0;
    const group = bySeq.get(seq);
    if (group) group.push(id);
    else bySeq.set(seq, [id]);
  }
  const newer = await models.ledger
    .find({ $or: [...bySeq].map(([seq, ids]) => ({ memberId: inBatch(ids), seq: { $gt: seq } })) })
    .lean<LedgerEntryDoc[]>()
    .exec();
  const headOf = new Map<string, LedgerEntryDoc>();
  for (const entry of newer) {
    if ((headOf.get(entry.memberId)?.seq ?? -1) < entry.seq) headOf.set(entry.memberId, entry);
  }
  return memberIds.map((memberId) => {
    const head = headOf.get(memberId);
    if (head) return stateFromEntry(head);
    const snapshot = snapshotOf.get(memberId);
    return snapshot
      ? { memberId, seq: snapshot.seq, lots: snapshot.lots, debt: snapshot.debt, lifetimeEarned: snapshot.lifetimeEarned, lastPurchaseAt: snapshot.lastPurchaseAt ?? null }
      : emptyState(memberId);
  });
}

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
 * POST /internal/segments/filter for points (lib/segment-filter.ts): tier, usable balance and points expiring,
 * all as of the request's `at`, as the member's own screens would show them then.
 */
export function pointsSegmentFilter(deps: {
  models: { ledger: LedgerEntryModel; accounts: PointAccountModel };
  tiers: TierService;
}): InternalHandler {
  return segmentFilterHandler(pointsConditionSchema, async ({ at, memberIds, conditions }) => {
    const needsAccounts = conditions.some(({ condition }) => condition.kind !== 'tier');
    const needsTiers = conditions.some(({ condition }) => condition.kind === 'tier');
    const [states, tiers] = await Promise.all([
      needsAccounts ? statesOf(deps.models, memberIds) : memberIds.map(emptyState),
      needsTiers ? deps.tiers.tierForMany(memberIds, at) : new Map<string, TierStanding>(),
    ]);
    const views = states.map((state) => [state.memberId, viewAt(state, at)] as const);
    return new Map(
      conditions.map(({ key, condition }) => [key, new Set(views.filter(([id, view]) => matches(condition, view, tiers.get(id))).map(([id]) => id))]),
    );
  });
}
