import { loadConfigOrExit, subgraphUrls, type AppConfig } from '@omo/lib/core/config';
import { connectDatabase, ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { directoryFromUrls } from '@omo/lib/server/run-subgraph';
import type { SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { resolveMongodbUri } from './runtime';

/**
 * Runs one job of a subgraph from the command line (`npm run points:expire`, `points:tiers`,
 * `smaregi:sync-members`): the subgraph built on the configured database (or a running `npm start`'s) as its
 * service builds it, its indexes made, the job run once, its summary line printed; exit 1 with the message on
 * failure. `check` refuses a configuration before the database is reached.
 */
export function runSubgraphJob<S>(
  service: string,
  build: (options: SubgraphBuildOptions) => S,
  job: (subgraph: S, config: AppConfig) => Promise<string>,
  check?: (config: AppConfig) => void,
): void {
  const main = async (): Promise<void> => {
    const config = loadConfigOrExit();
    check?.(config);
    const logger = createLogger(config.LOG_LEVEL).child({ service });
    const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
    try {
      const subgraph = build({
        config,
        connection,
        logger,
        internalSecret: config.INTERNAL_SECRET,
        production: config.NODE_ENV === 'production',
        services: directoryFromUrls(subgraphUrls(config)),
        clock: () => new Date(),
      });
      await ensureIndexes(connection);
      process.stdout.write(`${await job(subgraph, config)}\n`);
    } finally {
      await connection.close();
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
