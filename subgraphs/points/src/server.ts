import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { repeat } from '@omo/lib/server/background';
import { callInternal, internalRouter } from '@omo/lib/server/internal-api';
import { SEGMENT_FILTER_PATH } from '@omo/lib/contracts/segment-filter';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { createPointsContext, type PointsContext, type PointsDeps } from './context';
import { pointsSegmentFilter } from './internal/segment-filter';
import { ledgerEntryModel } from './models/ledger-entry.model';
import { pointAccountModel } from './models/point-account.model';
import { resolvers } from './resolvers';
import { accountSummary } from './services/account-summary';
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
  const memberExists = async (memberId: string) => {
    const { existing } = await callInternal<{ existing: string[] }>({
      directory: options.services,
      target: 'members',
      path: '/internal/members/exists',
      body: { ids: [memberId] },
      internalSecret: options.internalSecret,
      service: 'points',
    });
    return existing.includes(memberId);
  };
  const ledger = new LedgerService(models.ledger, models.accounts, policy, options.clock, memberExists, options.config.STAFF_MAX_POINTS_ADJUSTMENT);
  const settlement = new SettlementService(ledger, policy, tiers, calculator);
  const expiry = new ExpiryJob(models.accounts, ledger, options.logger);
  const members = new MembersClient(options.services, options.internalSecret);
  const deps: PointsDeps = { models, clock: options.clock, ledger, policy, storeRates, campaigns, tiers, calculator, members };
  const apollo = buildSubgraphApollo<PointsContext>({ name: 'points', typeDefs, resolvers, ...options });
  return {
    apollo,
    deps,
    settlement,
    expiry,
    createContext: (base) => createPointsContext(deps, base),
    startBackground: () => repeat('points expiry', EXPIRY_INTERVAL_MS, () => expiry.run(options.clock()), options.logger),
    routes: internalRouter('points', options.internalSecret, options.logger, {
      '/internal/settlements': (body) => settlement.settle(body),
      '/internal/settlements/redemption': (body) => settlement.redemption(body),
      '/internal/reversals': (body) => settlement.reverse(body),
      '/internal/merges': (body) => settlement.merge(body),
      '/internal/signup-bonuses': (body) => settlement.signupBonus(body),
      '/internal/accounts/summary': (body) => accountSummary(deps, body),
      [SEGMENT_FILTER_PATH]: pointsSegmentFilter(deps),
    }),
  };
}
