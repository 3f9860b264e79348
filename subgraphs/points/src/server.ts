import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { repeat } from '@omo/lib/server/background';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { createPointsContext, type PointsContext, type PointsDeps } from './context';
import { pointsRoutes } from './internal/points.routes';
import { ledgerEntryModel } from './models/ledger-entry.model';
import { pointAccountModel } from './models/point-account.model';
import { resolvers } from './resolvers';
import { ExpiryJob } from './services/expiry.job';
import { LedgerService } from './services/ledger.service';
import { MembersClient } from './services/members.client';
import { createRulesModule } from './services/rules.module';
import { SettlementService } from './services/settlement.service';

/** Expired points are written off hourly; balances never count them in the meantime. */
const EXPIRY_INTERVAL_MS = 3_600_000;

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface PointsSubgraph extends BuiltSubgraph<PointsContext> {
  deps: PointsDeps;
  settlement: SettlementService;
  expiry: ExpiryJob;
}

export function buildPointsSubgraph(options: SubgraphBuildOptions): PointsSubgraph {
  const models = { ledger: ledgerEntryModel(options.connection), accounts: pointAccountModel(options.connection) };
  const { policy, storeRates, campaigns, tiers, calculator } = createRulesModule(options.connection, options.clock);
  const members = new MembersClient(options.services, options.internalSecret);
  const memberExists = (memberId: string) => members.exists(memberId);
  const ledger = new LedgerService(models.ledger, models.accounts, policy, options.clock, memberExists, options.config.STAFF_MAX_POINTS_ADJUSTMENT);
  const settlement = new SettlementService(ledger, policy, tiers, calculator);
  const expiry = new ExpiryJob(models.accounts, ledger, options.logger);
  const deps: PointsDeps = { models, clock: options.clock, ledger, policy, storeRates, campaigns, tiers, calculator, members };
  const apollo = buildSubgraphApollo<PointsContext>({ name: 'points', typeDefs, resolvers, ...options });
  return {
    apollo,
    deps,
    settlement,
    expiry,
    createContext: (base) => createPointsContext(deps, base),
    startBackground: () => repeat('points expiry', EXPIRY_INTERVAL_MS, () => expiry.run(options.clock()), options.logger),
    routes: pointsRoutes(deps, settlement, options),
  };
}
