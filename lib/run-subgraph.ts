import type { AppConfig, SubgraphName } from './config';
import { connectDatabase, ensureIndexes, type Connection } from './db';
import type { Logger } from './logger';
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
