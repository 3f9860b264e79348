import type { AppConfig, SubgraphName } from '@omo/lib/config';
import type { Logger } from '@omo/lib/logger';
import { runSubgraph, type RunningSubgraph } from '@omo/lib/run-subgraph';
import { startGateway } from '@omo/gateway/src/server';
import { buildLineSubgraph } from '@omo/line/src/server';
import { buildMembersSubgraph } from '@omo/members/src/server';
import { buildPointsSubgraph } from '@omo/points/src/server';
import { buildPurchasesSubgraph } from '@omo/purchases/src/server';

export interface RunningSystem {
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
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
}): Promise<RunningSystem> {
  const { config, logger, mongodbUri } = options;
  const port = (name: SubgraphName | 'gateway', fallback: number) => options.ports?.[name] ?? fallback;
  const common = { config, mongodbUri, logger };
  const started: { close(): Promise<void> }[] = [];
  try {
    const members = await runSubgraph({ ...common, name: 'members', build: buildMembersSubgraph, port: port('members', config.MEMBERS_PORT) });
    started.push(members);
    const points = await runSubgraph({ ...common, name: 'points', build: buildPointsSubgraph, port: port('points', config.POINTS_PORT) });
    started.push(points);
    const purchases = await runSubgraph({ ...common, name: 'purchases', build: buildPurchasesSubgraph, port: port('purchases', config.PURCHASES_PORT) });
    started.push(purchases);
    const line = await runSubgraph({ ...common, name: 'line', build: buildLineSubgraph, port: port('line', config.LINE_PORT) });
    started.push(line);
    const gateway = await startGateway({
      config: {
        ...config,
        MEMBERS_URL: `${members.url}/graphql`,
        POINTS_URL: `${points.url}/graphql`,
        PURCHASES_URL: `${purchases.url}/graphql`,
        LINE_URL: `${line.url}/graphql`,
      },
      logger: logger.child({ service: 'gateway' }),
      port: port('gateway', config.GATEWAY_PORT),
    });
    started.push(gateway);
    return {
      gatewayUrl: `${gateway.url}/graphql`,
      subgraphs: { members, points, purchases, line },
      close: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

async function closeAll(services: { close(): Promise<void> }[]): Promise<void> {
  for (const service of [...services].reverse()) await service.close().catch(() => undefined);
}
