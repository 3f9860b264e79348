import { SUBGRAPH_NAMES, type AppConfig, type SubgraphName } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import { directoryFromUrls, runSubgraph, type RunningSubgraph } from '@omo/lib/server/run-subgraph';
import type { ConsoleOptions } from '@omo/gateway/src/console';
import type { IdeDefaults } from '@omo/gateway/src/ide';
import { startGateway } from '@omo/gateway/src/server';
import { buildLineSubgraph, type LineSubgraph } from '@omo/line/src/server';
import { buildMembersSubgraph, type MembersSubgraph } from '@omo/members/src/server';
import { buildPointsSubgraph, type PointsSubgraph } from '@omo/points/src/server';
import { buildPurchasesSubgraph, type PurchasesSubgraph } from '@omo/purchases/src/server';

export interface RunningSystem {
  gatewayUrl: string;
  subgraphs: {
    members: RunningSubgraph<MembersSubgraph>;
    points: RunningSubgraph<PointsSubgraph>;
    purchases: RunningSubgraph<PurchasesSubgraph>;
    line: RunningSubgraph<LineSubgraph>;
  };
  /** Takes one subgraph down (its port stops answering), as if its process had died. */
  stop(name: SubgraphName): Promise<void>;
  /** Starts a subgraph again on the same port. */
  restart(name: SubgraphName): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs the four subgraphs and the gateway in this process, each on its own HTTP port and database connection,
 * exactly as they talk in production (over HTTP, with the signed identity). Port 0 picks free ports.
 */
export async function startSystem(options: {
  config: AppConfig;
  mongodbUri: string;
  logger: Logger;
  ports?: Partial<Record<SubgraphName | 'gateway', number>>;
  clock?: () => Date;
  runBackground?: boolean;
  monitorCommands?: boolean;
  /** What the gateway's GraphQL IDE opens with (development only). */
  ide?: Partial<IdeDefaults>;
  /** The staff console the gateway serves at /console/ (its build, the development sign-in). */
  console?: ConsoleOptions;
}): Promise<RunningSystem> {
  const { config, logger, mongodbUri } = options;
  const port = (name: SubgraphName | 'gateway', fallback: number) => options.ports?.[name] ?? fallback;
  // filled in as each subgraph gets its port, so each can call the others' internal APIs
  const urls: Partial<Record<SubgraphName, string>> = {};
  const common = { config, mongodbUri, logger, services: directoryFromUrls(urls), clock: options.clock, runBackground: options.runBackground, monitorCommands: options.monitorCommands };
  const builders = {
    members: (p: number) => runSubgraph({ ...common, name: 'members', build: buildMembersSubgraph, port: p }),
    points: (p: number) => runSubgraph({ ...common, name: 'points', build: buildPointsSubgraph, port: p }),
    purchases: (p: number) => runSubgraph({ ...common, name: 'purchases', build: buildPurchasesSubgraph, port: p }),
    line: (p: number) => runSubgraph({ ...common, name: 'line', build: buildLineSubgraph, port: p }),
  };
  const defaults: Record<SubgraphName, number> = {
    members: config.MEMBERS_PORT,
    points: config.POINTS_PORT,
    purchases: config.PURCHASES_PORT,
    line: config.LINE_PORT,
  };
  const subgraphs: Partial<RunningSystem['subgraphs']> = {};
  const stopped = new Set<SubgraphName>();
  let gateway: { close(): Promise<void> } | undefined;
  const closeEverything = async () => {
    await gateway?.close().catch(() => undefined);
    for (const name of [...SUBGRAPH_NAMES].reverse()) {
      if (!stopped.has(name)) await subgraphs[name]?.close().catch(() => undefined);
    }
  };
  try {
    for (const name of SUBGRAPH_NAMES) {
      const running = await builders[name](port(name, defaults[name]));
      Object.assign(subgraphs, { [name]: running });
      urls[name] = `${running.url}/graphql`;
    }
    const all = subgraphs as RunningSystem['subgraphs'];
    const started = await startGateway({
      config: {
        ...config,
        MEMBERS_URL: `${all.members.url}/graphql`,
        POINTS_URL: `${all.points.url}/graphql`,
        PURCHASES_URL: `${all.purchases.url}/graphql`,
        LINE_URL: `${all.line.url}/graphql`,
      },
      logger: logger.child({ service: 'gateway' }),
      port: port('gateway', config.GATEWAY_PORT),
      ide: options.ide,
      console: options.console,
    });
    gateway = started;
    return {
      gatewayUrl: `${started.url}/graphql`,
      subgraphs: all,
      stop: async (name) => {
        stopped.add(name);
        await all[name].close();
      },
      restart: async (name) => {
        if (!stopped.has(name)) await all[name].close();
        Object.assign(all, { [name]: await builders[name](all[name].port) });
        stopped.delete(name);
      },
      close: closeEverything,
    };
  } catch (error) {
    await closeEverything();
    throw error;
  }
}
