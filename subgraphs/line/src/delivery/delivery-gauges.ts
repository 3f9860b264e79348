import { secondsLate } from '@omo/lib/core/time';
import type { ScrapeGauge } from '@omo/lib/observability/metrics';
import type { DeliveryModels } from './delivery.model';

/**
 * How segmented deliveries are getting on, for /metrics: the open ones (scheduled or sending), those whose last
 * attempt failed, and how long the one due first has been due (a worker that stopped shows it growing). Three
 * queries on the `{ open, dueAt }` index, their cost growing with the open deliveries only.
 */
export function deliveryGauges(models: Pick<DeliveryModels, 'deliveries'>, clock: () => Date): ScrapeGauge[] {
  const { deliveries } = models;
  return [
    {
      name: 'omo_line_deliveries_open',
      help: 'Segmented LINE deliveries not finished (scheduled, waiting out quiet hours, or sending)',
      read: async () => [{ value: await deliveries.countDocuments({ open: true }).exec() }],
    },
    {
      name: 'omo_line_deliveries_failing',
      help: 'Open LINE deliveries whose last attempt failed (retrying)',
      read: async () => [{ value: await deliveries.countDocuments({ open: true, lastError: { $ne: null } }).exec() }],
    },
    {
      name: 'omo_line_delivery_oldest_due_seconds',
      help: 'How long the open LINE delivery due first has been due (0: none due)',
      read: async () => {
        const now = clock();
        const first = await deliveries.findOne({ open: true, dueAt: { $lte: now } }, { dueAt: 1 }).sort({ dueAt: 1 }).lean<{ dueAt: Date }>().exec();
        return [{ value: secondsLate(first?.dueAt, now) }];
      },
    },
  ];
}
