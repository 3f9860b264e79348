import { loadConfigOrExit, subgraphUrls } from '@omo/lib/core/config';
import { connectDatabase, ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { directoryFromUrls } from '@omo/lib/server/run-subgraph';
import { buildMembersSubgraph } from '@omo/members/src/server';
import { queueSmaregiMembers } from '@omo/members/src/services/smaregi-member-backfill';
import { resolveMongodbUri } from './runtime';

/**
 * `npm run smaregi:sync-members`: at go-live of a Smaregi contract (or when another is added to SMAREGI_CONTRACTS),
 * queues every ACTIVE member for a customer record in each contract that creates customers. The running members
 * service's outbox carries the items out (paced under Smaregi's limits by purchases). Safe to run twice.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.SMAREGI_CONTRACTS.length === 0) throw new Error('SMAREGI_CONTRACTS lists no contract: nothing to sync');
  const logger = createLogger(config.LOG_LEVEL).child({ service: 'smaregi-sync-members' });
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  try {
    const members = buildMembersSubgraph({
      config,
      connection,
      logger,
      internalSecret: config.INTERNAL_SECRET,
      production: config.NODE_ENV === 'production',
      services: directoryFromUrls(subgraphUrls(config)),
      clock: () => new Date(),
    });
    await ensureIndexes(connection);
    const queued = await queueSmaregiMembers(members.models, members.outbox, (n) => process.stdout.write(`${n} members queued\r`));
    process.stdout.write(`\n${queued} members queued for their Smaregi customer records; the members service's outbox sends them\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
