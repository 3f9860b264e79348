import type { ScrapeGauge } from '@omo/lib/observability/metrics';
import type { PurchaseModel } from '../models/purchase.model';

/** The states worth watching: sales still waiting for their points, and those whose settlement failed for good. */
const WATCHED = ['PENDING_POINTS', 'SETTLEMENT_FAILED'] as const;

/** Purchases by settlement state, for /metrics: one count per state on the `{ state }` index. */
export function settlementGauges(purchases: PurchaseModel): ScrapeGauge[] {
  return [
    {
      name: 'omo_purchases_by_state',
      help: 'Purchases waiting for their points (PENDING_POINTS) or whose settlement failed (SETTLEMENT_FAILED, for staff)',
      labelNames: ['state'],
      read: () => Promise.all(WATCHED.map(async (state) => ({ labels: { state }, value: await purchases.countDocuments({ state }).exec() }))),
    },
  ];
}
