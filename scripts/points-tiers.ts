import { buildPointsSubgraph } from '@omo/points/src/server';
import { runSubgraphJob } from './subgraph-job';

/**
 * `npm run points:tiers`: records now (and publishes as tier.changed) the tier changes no spend write showed: spend
 * that left the window, or new tier rules (run it after setTierRules rather than wait for the hourly run). Safe to
 * run twice or alongside the scheduled run (tier-change.job.ts).
 */
runSubgraphJob('points-tiers', buildPointsSubgraph, async (points) => {
  const result = await points.tierChanges.run(new Date());
  // the events wait in points' outbox, which the running points service works through
  return `${result.changes} tier changes recorded (${result.membersChecked} members checked)`;
});
