import type { mongo } from 'mongoose';
import { loadConfigOrExit, subgraphUrls, type SubgraphName } from '@omo/lib/core/config';
import { BearerVerifier, userIssuers } from '@omo/lib/core/bearer-tokens';
import { connectDatabase, ensureIndexes, type Connection } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { directoryFromUrls, runStandalone, runSubgraph } from '@omo/lib/server/run-subgraph';
import type { BaseContext, BuiltSubgraph, SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { readSupergraph } from '@omo/gateway/src/supergraph';
import { resolvers as lineResolvers } from '@omo/line/src/resolvers';
import { buildLineSubgraph } from '@omo/line/src/server';
import { resolvers as membersResolvers } from '@omo/members/src/resolvers';
import { buildMembersSubgraph } from '@omo/members/src/server';
import { resolvers as pointsResolvers } from '@omo/points/src/resolvers';
import { buildPointsSubgraph } from '@omo/points/src/server';
import { resolvers as purchasesResolvers } from '@omo/purchases/src/resolvers';
import { buildPurchasesSubgraph } from '@omo/purchases/src/server';
import type { ServiceMessage } from './lib/services';
import { startMonolith, type MonolithPart } from './monolith';

/**
 * One service of the bench as its own process (`node --import tsx bench/service-process.ts <name>`): a subgraph,
 * started as its src/index.ts starts it but with command monitoring on and background workers off, or the
 * monolith. The bench asks over IPC how many database commands it has sent so far.
 */
const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
const services = directoryFromUrls(subgraphUrls(config));

let commands = 0;
let outbox: Outbox | undefined;
function countCommands(connection: Connection): void {
  connection.getClient().on('commandStarted', (_event: mongo.CommandStartedEvent) => (commands += 1));
}
const reply = (message: ServiceMessage) => process.send?.(message);
async function drainOutbox(): Promise<{ completed: number; pending: number }> {
  if (!outbox) return { completed: 0, pending: 0 };
  const completed = await outbox.drain();
  return { completed, pending: await outbox.pending() };
}
process.on('message', (message: ServiceMessage) => {
  if (message.type === 'commands?') reply({ type: 'commands', count: commands });
  if (message.type === 'drain-outbox') {
    drainOutbox().then(
      (drained) => reply({ type: 'outbox-drained', ...drained }),
      (error: unknown) => logger.error({ err: error }, 'outbox drain failed'),
    );
  }
});

function mongodbUri(): string {
  if (!config.MONGODB_URI) throw new Error('MONGODB_URI is required');
  return config.MONGODB_URI;
}

async function startSubgraph(name: SubgraphName): Promise<{ close(): Promise<void> }> {
  // the bench measures requests: background workers (outbox polling, expiry) would add commands of their own
  const common = { config, mongodbUri: mongodbUri(), logger, services, runBackground: false, monitorCommands: true };
  const running = await (name === 'members'
    ? runSubgraph({ ...common, name, build: buildMembersSubgraph, port: config.MEMBERS_PORT })
    : name === 'points'
      ? runSubgraph({ ...common, name, build: buildPointsSubgraph, port: config.POINTS_PORT })
      : name === 'purchases'
        ? runSubgraph({ ...common, name, build: buildPurchasesSubgraph, port: config.PURCHASES_PORT })
        : runSubgraph({ ...common, name, build: buildLineSubgraph, port: config.LINE_PORT }));
  countCommands(running.connection);
  if ('outbox' in running.built) outbox = running.built.outbox;
  return running;
}

/** One subgraph's resolvers and context for the monolith, on a connection of its own (as each service has). */
async function monolithPart<TContext extends BaseContext>(
  name: SubgraphName,
  build: (options: SubgraphBuildOptions) => BuiltSubgraph<TContext>,
  resolvers: object,
): Promise<MonolithPart & { connection: Connection }> {
  const connection = await connectDatabase(mongodbUri(), config.MONGODB_DB, { monitorCommands: true });
  countCommands(connection);
  const built = build({
    config,
    connection,
    logger: logger.child({ service: name }),
    internalSecret: config.INTERNAL_SECRET,
    production: config.NODE_ENV === 'production',
    services,
    clock: () => new Date(),
  });
  await ensureIndexes(connection);
  return { name, resolvers, createContext: (base) => built.createContext(base), connection };
}

async function startMonolithProcess(): Promise<{ close(): Promise<void> }> {
  const parts = await Promise.all([
    monolithPart('members', buildMembersSubgraph, membersResolvers),
    monolithPart('points', buildPointsSubgraph, pointsResolvers),
    monolithPart('purchases', buildPurchasesSubgraph, purchasesResolvers),
    monolithPart('line', buildLineSubgraph, lineResolvers),
  ]);
  const running = await startMonolith({ supergraphSdl: readSupergraph(), parts, verifier: new BearerVerifier(userIssuers(config)), logger, port: config.GATEWAY_PORT });
  return {
    close: async () => {
      await running.close();
      await Promise.all(parts.map((p) => p.connection.close()));
    },
  };
}

const name = process.argv[2];
void runStandalone(() => {
  if (name === 'monolith') return startMonolithProcess();
  if (name === 'members' || name === 'points' || name === 'purchases' || name === 'line') return startSubgraph(name);
  throw new Error('usage: service-process.ts <members|points|purchases|line|monolith>');
}, logger);
