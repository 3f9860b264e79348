import { buildPointsSubgraph } from '@omo/points/src/server';
import { runSubgraphJob } from './subgraph-job';

/** `npm run points:expire`: writes off expired points now. Safe to run twice or alongside the scheduled run. */
runSubgraphJob('points-expiry', buildPointsSubgraph, async (points) => {
  const result = await points.expiry.run(new Date());
  return `${result.entriesWritten} members had ${result.pointsExpired} points expire (${result.membersChecked} checked)`;
});
