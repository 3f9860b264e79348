import { buildMembersSubgraph } from '@omo/members/src/server';
import { queueSmaregiMembers } from '@omo/members/src/services/smaregi-member-backfill';
import { runSubgraphJob } from './subgraph-job';

/**
 * `npm run smaregi:sync-members`: at go-live of a Smaregi contract (or when another is added to SMAREGI_CONTRACTS),
 * queues every ACTIVE member for a customer record in each contract that creates customers. The running members
 * service's outbox carries the items out (paced under Smaregi's limits by purchases). Safe to run twice.
 */
runSubgraphJob(
  'smaregi-sync-members',
  buildMembersSubgraph,
  async (members) => {
    const queued = await queueSmaregiMembers(members.models, members.outbox, (n) => process.stdout.write(`${n} members queued\r`));
    return `\n${queued} members queued for their Smaregi customer records; the members service's outbox sends them`;
  },
  (config) => {
    if (config.SMAREGI_CONTRACTS.length === 0) throw new Error('SMAREGI_CONTRACTS lists no contract: nothing to sync');
  },
);
