import { loadConfigOrExit, subgraphUrls, type AppConfig, type SubgraphName } from '@omo/lib/core/config';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { connectDatabase, ensureIndexes, type Connection } from '@omo/lib/core/db';
import { createLogger, type Logger } from '@omo/lib/core/logger';
import type { BaseContext, BuiltSubgraph, SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import type { RunningHttpServer } from '@omo/lib/server/http';
import { startSubgraphHttp } from '@omo/lib/server/subgraph-server';
import { bearerVerifierFor } from '@omo/lib/core/bearer-tokens';
import { CustomerStatus } from '@omo/lib/core/customer-status';
import { currentMemberClient } from '@omo/lib/contracts/members';
import { ServiceMetrics } from '@omo/lib/observability/metrics';
import { stopTracing } from '@omo/lib/observability/tracing';


export interface RunningSubgraph<TBuilt = unknown> extends RunningHttpServer {
  name: SubgraphName;
  connection: Connection;
  /** The subgraph's services, for tests and scripts that drive it directly. */
  built: TBuilt;
}

/** Connects a subgraph to its database, creates its indexes and serves it over HTTP. */
export async function runSubgraph<TContext extends BaseContext, TBuilt extends BuiltSubgraph<TContext>>(options: {
  name: SubgraphName;
  build: (options: SubgraphBuildOptions) => TBuilt & BuiltSubgraph<TContext>;
  config: AppConfig;
  mongodbUri: string;
  port: number;
  logger: Logger;
  services: ServiceDirectory;
  clock?: () => Date;
  /** Tests turn background workers off and drive them explicitly. */
  runBackground?: boolean;
  /** The driver's command events, which omo_db_commands_total counts (and tests read); false: it stays at 0. */
  monitorCommands?: boolean;
}): Promise<RunningSubgraph<TBuilt>> {
  const logger = options.logger.child({ service: options.name });
  const connection = await connectDatabase(options.mongodbUri, options.config.MONGODB_DB, { monitorCommands: options.monitorCommands ?? true });
  const subgraph = options.build({
    config: options.config,
    connection,
    logger,
    internalSecret: options.config.INTERNAL_SECRET,
    production: options.config.NODE_ENV === 'production',
    services: options.services,
    clock: options.clock ?? (() => new Date()),
  });
  await ensureIndexes(connection);
  const lookup = subgraph.currentMember ?? currentMemberClient(options.services, options.config.INTERNAL_SECRET, options.name);
  const http = await startSubgraphHttp({
    subgraph,
    connection,
    gatewaySecret: options.config.GATEWAY_SECRET,
    verifier: bearerVerifierFor(options.config, () => options.services.baseUrl('members')),
    customers: new CustomerStatus(lookup, options.config.CUSTOMER_STATUS_CACHE_SECONDS),
    logger,
    port: options.port,
    metrics: new ServiceMetrics({ connection, gauges: subgraph.gauges }),
    metricsToken: options.config.METRICS_TOKEN,
    readyMaxOutboxAgeSeconds: options.config.READY_MAX_OUTBOX_AGE_SECONDS,
  });
  logger.info({ url: `${http.url}/graphql` }, 'subgraph listening');
  const background = options.runBackground === false ? undefined : subgraph.startBackground?.();
  return {
    ...http,
    name: options.name,
    connection,
    built: subgraph,
    close: async () => {
      await background?.stop();
      await http.close();
      await connection.close();
    },
  };
}

/** Start-up of one service as its own process: config from the environment, stop on SIGINT/SIGTERM. */
export async function runStandalone(start: () => Promise<{ close(): Promise<void> }>, logger: Logger): Promise<void> {
  try {
    const running = await start();
    const stop = () => {
      running.close().then(stopTracing).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

/** `src/index.ts` of a subgraph: its own process, configured from the environment, on its configured port. */
export function startSubgraphProcess<TContext extends BaseContext>(
  name: SubgraphName,
  build: (options: SubgraphBuildOptions) => BuiltSubgraph<TContext>,
): void {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const ports: Record<SubgraphName, number> = {
    members: config.MEMBERS_PORT,
    points: config.POINTS_PORT,
    purchases: config.PURCHASES_PORT,
    line: config.LINE_PORT,
  };
  void runStandalone(async () => {
    if (!config.MONGODB_URI) throw new Error('MONGODB_URI is required to run a service on its own');
    const services = directoryFromUrls(subgraphUrls(config));
    return runSubgraph({ name, build, config, mongodbUri: config.MONGODB_URI, port: ports[name], logger, services });
  }, logger);
}

/** Service base URLs from their GraphQL URLs; the map may be filled in later (services starting one by one). */
export function directoryFromUrls(graphqlUrls: Partial<Record<string, string>>): ServiceDirectory {
  return {
    baseUrl(service) {
      const url = graphqlUrls[service];
      if (!url) throw new Error(`No URL known for service ${service}`);
      return url.replace(/\/graphql\/?$/, '');
    },
  };
}
