import { loadConfigOrExit } from '@omo/lib/core/config';
import { connectDatabase, ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { directoryFromUrls } from '@omo/lib/server/run-subgraph';
import { subgraphUrls } from '@omo/lib/core/config';
import { buildPointsSubgraph } from '@omo/points/src/server';
import { resolveMongodbUri } from './runtime';

/**
 * `npm run points:tiers`: records now (and publishes as tier.changed) the tier changes no spend write showed: spend
 * that left the window, or new tier rules (run it after setTierRules rather than wait for the hourly run). Safe to
 * run twice or alongside the scheduled run (tier-change.job.ts).
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL).child({ service: 'points-tiers' });
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  try {
    const points = buildPointsSubgraph({
      config,
      connection,
      logger,
      internalSecret: config.INTERNAL_SECRET,
      production: config.NODE_ENV === 'production',
      services: directoryFromUrls(subgraphUrls(config)),
      clock: () => new Date(),
    });
    await ensureIndexes(connection);
    const result = await points.tierChanges.run(new Date());
    // the events wait in points' outbox, which the running points service works through
    process.stdout.write(`${result.changes} tier changes recorded (${result.membersChecked} members checked)\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
