import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import type { Connection } from '@omo/lib/core/db';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import type { DeliveryService } from '../delivery/delivery.service';
import type { SegmentEvaluator } from '../segments/segment-evaluator';
import { lineUserModel } from '../webhook/line-user.model';
import { notificationModels } from './notification.model';
import { NotificationRuleService } from './notification-rules.service';
import { PointsExpiringNotifier, type PointsExpiringRun } from './points-expiring.job';
import { TierUpNotifier, type TierUpRun } from './tier-up.job';

export interface Notifications {
  /** For the GraphQL resolvers. */
  rules: NotificationRuleService;
  /**
   * One pass of every rule that is on: tier-ups since the last pass, and the day's expiring-points notices once it is
   * time. Safe to run twice or concurrently (in this process or several). Both kinds run; if either failed, it throws.
   */
  run(): Promise<{ tierUp: TierUpRun; pointsExpiring: PointsExpiringRun }>;
  /** run() on an interval (lib/server/background.ts). */
  start(intervalMs: number): BackgroundTask;
}

/**
 * Tier-up and points-expiring notifications (opt-in rules), sent as deliveries like segmented messages, in each
 * member's LINE language (the rule's English variant for English, when it has one).
 */
export function createNotifications(deps: {
  connection: Connection;
  evaluator: SegmentEvaluator;
  deliveries: DeliveryService;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  logger: Logger;
}): Notifications {
  const models = notificationModels(deps.connection);
  const rules = new NotificationRuleService({ models, clock: deps.clock });
  const users = lineUserModel(deps.connection);
  const tierUp = new TierUpNotifier({ ...deps, models, users });
  const pointsExpiring = new PointsExpiringNotifier({ ...deps, models, users });
  const run = async () => {
    const [tiers, expiring] = await Promise.allSettled([
      rules.current('TIER_UP').then((rule) => tierUp.run(rule)),
      rules.current('POINTS_EXPIRING').then((rule) => pointsExpiring.run(rule)),
    ]);
    if (tiers.status === 'rejected' || expiring.status === 'rejected') {
      const errors = [tiers, expiring].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'notifications failed');
    }
    return { tierUp: tiers.value, pointsExpiring: expiring.value };
  };
  return { rules, run, start: (intervalMs) => repeat('line notifications', intervalMs, run, deps.logger) };
}
