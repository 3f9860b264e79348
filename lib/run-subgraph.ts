import { loadConfigOrExit, type AppConfig, type SubgraphName } from './config';
import { connectDatabase, ensureIndexes, type Connection } from './db';
import { createLogger, type Logger } from './logger';
import type { BaseContext, BuiltSubgraph, RunningHttpServer, SubgraphBuildOptions } from './subgraph-server';
import { startSubgraphHttp } from './subgraph-server';


export interface RunningSubgraph extends RunningHttpServer {
  name: SubgraphName;
  connection: Connection;
}

/** Connects a subgraph to its database, creates its indexes and serves it over HTTP. */
export async function runSubgraph<TContext extends BaseContext>(options: {
  name: SubgraphName;
  build: (options: SubgraphBuildOptions) => BuiltSubgraph<TContext>;
  config: AppConfig;
  mongodbUri: string;
  port: number;
  logger: Logger;
}): Promise<RunningSubgraph> {
  const logger = options.logger.child({ service: options.name });
  const connection = await connectDatabase(options.mongodbUri, options.config.MONGODB_DB);
  const subgraph = options.build({
    connection,
    logger,
    internalSecret: options.config.INTERNAL_SECRET,
    production: options.config.NODE_ENV === 'production',
  });
  await ensureIndexes(connection);
  const http = await startSubgraphHttp({
    subgraph,
    connection,
    internalSecret: options.config.INTERNAL_SECRET,
    logger,
    port: options.port,
  });
  logger.info({ url: `${http.url}/graphql` }, 'subgraph listening');
  return {
    ...http,
    name: options.name,
    connection,
    close: async () => {
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
      running.close().then(
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
    return runSubgraph({ name, build, config, mongodbUri: config.MONGODB_URI, port: ports[name], logger });
  }, logger);
}
