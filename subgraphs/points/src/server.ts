import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { all, nowAndRepeat, repeat } from '@omo/lib/server/background';
import { Outbox } from '@omo/lib/outbox/outbox';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { createPointsContext, type PointsContext, type PointsDeps } from './context';
import { pointsRoutes } from './internal/points.routes';
import { ledgerEntryModel } from './models/ledger-entry.model';
import { couponModels } from './models/coupon.model';
import { couponOnlineCodeModel } from './models/coupon-online-code.model';
import { pointAccountModel } from './models/point-account.model';
import { rewardModel } from './models/reward.model';
import { resolvers } from './resolvers';
import { BirthdayBonusJob } from './services/birthday-bonus.job';
import { CouponExpiryJob } from './services/coupon-expiry.job';
import { CouponOnlineService } from './services/coupon-online.service';
import { CouponShopifySync } from './services/coupon-shopify-sync';
import { CouponUseService } from './services/coupon-use.service';
import { CouponService } from './services/coupon.service';
import { ExpiryJob } from './services/expiry.job';
import { ImportBalances } from './services/import-balances';
import { LedgerService } from './services/ledger.service';
import { MembersClient } from './services/members.client';
import { RewardService } from './services/reward.service';
import { createRulesModule } from './services/rules.module';
import { KnownHeads } from './services/known-heads';
import { LiabilityReport } from './services/liability-report';
import { ActivityReport } from './services/activity-report';
import { CampaignPoints } from './services/campaign-points';
import { SettlementService } from './services/settlement.service';
import { SmaregiBalanceSync } from './services/smaregi-balance-sync';
import { appendWatchers, PointsPartnerEvents } from './services/points-partner-events';
import { TierChangeJob } from './services/tier-change.job';
import { TierChanges } from './services/tier-changes';
import { tierChangeModels } from './models/tier-change.model';

/** Expired points are written off, and expired coupons' points given back, hourly; balances never count expired points meanwhile. */
const EXPIRY_INTERVAL_MS = 3_600_000;
/**
 * Birthday bonuses are given at start-up and hourly through the birthday month (and the first 7 days of the next):
 * a member who joins or sets their birthday during it gets the bonus within the hour, a restart does not wait an
 * hour, and a run that found members unreachable is followed by another soon.
 */
const BIRTHDAY_BONUS_INTERVAL_MS = 3_600_000;
/**
 * Tier drops with time alone (and tier rule changes) are looked for hourly: a spend record leaves the window at any
 * moment, and an hour late is what partners and the LINE tier messages can live with.
 */
const TIER_CHANGE_INTERVAL_MS = 3_600_000;
/** How often points' outbox (coupons' Shopify codes, Smaregi balance marks) is worked through, as the other services' are. */
const OUTBOX_INTERVAL_MS = 2_000;

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface PointsSubgraph extends BuiltSubgraph<PointsContext> {
  deps: PointsDeps;
  partnerEvents: PointsPartnerEvents;
  settlement: SettlementService;
  expiry: ExpiryJob;
  birthdayBonus: BirthdayBonusJob;
  couponExpiry: CouponExpiryJob;
  tierChanges: TierChangeJob;
  outbox: Outbox;
}

export function buildPointsSubgraph(options: SubgraphBuildOptions): PointsSubgraph {
  const models = { ledger: ledgerEntryModel(options.connection), accounts: pointAccountModel(options.connection) };
  const { policy, storeRates, campaigns, itemRules, tiers, calculator, audit } = createRulesModule(options.connection, options.clock);
  const members = new MembersClient(options.services, options.internalSecret);
  const memberExists = (memberId: string) => members.exists(memberId);
  const smaregiBalance = new SmaregiBalanceSync({
    enabled: options.config.SMAREGI_CONTRACTS.length > 0,
    ledger: (): LedgerService => ledger,
    services: options.services,
    internalSecret: options.internalSecret,
    clock: options.clock,
    logger: options.logger,
    outbox: (): Outbox => outbox,
  });
  const partnerEvents = new PointsPartnerEvents({
    ledger: (): LedgerService => ledger,
    services: options.services,
    internalSecret: options.internalSecret,
    clock: options.clock,
    logger: options.logger,
    outbox: (): Outbox => outbox,
  });
  const tierChangeStore = tierChangeModels(options.connection);
  const tierChanges = new TierChanges({ models: tierChangeStore, ledger: models.ledger, tiers, publisher: partnerEvents.publisher, clock: options.clock, outbox: (): Outbox => outbox });
  tiers.watchSpend({ spendWritten: (spends, policy) => tierChanges.checkMany(spends, policy) });
  const watcher = appendWatchers([smaregiBalance.watcher(), partnerEvents]);
  const ledger = new LedgerService(models.ledger, models.accounts, policy, options.clock, memberExists, options.config.STAFF_MAX_POINTS_ADJUSTMENT, watcher);
  const expiry = new ExpiryJob(models.accounts, ledger, options.logger);
  const birthdayBonus = new BirthdayBonusJob(policy, ledger, models.ledger, (request) => members.birthdays(request), options.logger);
  const tierOf = async (memberId: string, at: Date) => (await tiers.tierFor(memberId, at)).tier;
  const rewards = new RewardService(rewardModel(options.connection), options.clock, tierOf);
  const couponStore = couponModels(options.connection);
  const shopifySync = new CouponShopifySync({
    coupons: couponStore,
    onlineCodes: couponOnlineCodeModel(options.connection),
    services: options.services,
    internalSecret: options.internalSecret,
    clock: options.clock,
    logger: options.logger,
    outbox: (): Outbox => outbox,
  });
  const checkoutCodes = new CouponOnlineService(couponStore, ledger, shopifySync, {
    minPoints: options.config.CHECKOUT_CODE_MIN_POINTS,
    maxPoints: options.config.CHECKOUT_CODE_MAX_POINTS,
    validityHours: options.config.CHECKOUT_CODE_VALIDITY_HOURS,
  }, options.clock, (): Outbox => outbox);
  const coupons = new CouponService(couponStore, rewards, ledger, tierOf, options.clock, shopifySync, (): Outbox => outbox);
  const outbox: Outbox = new Outbox(options.connection, 'points', { ...shopifySync.handlers(), ...checkoutCodes.handlers(), ...coupons.handlers(), ...smaregiBalance.handlers(), ...partnerEvents.handlers(), ...tierChanges.handlers() }, options.logger, options.clock);
  const couponExpiry = new CouponExpiryJob(couponStore, coupons, options.logger);
  const tierChangeJob = new TierChangeJob({ models: tierChangeStore, policy, tiers, changes: tierChanges, logger: options.logger });
  const couponUse = new CouponUseService(couponStore, coupons, ledger, options.logger);
  const heads = new KnownHeads();
  const settlement = new SettlementService(ledger, policy, tiers, calculator, couponUse, options.logger, heads);
  const deps: PointsDeps = { models, clock: options.clock, ledger, policy, storeRates, campaigns, itemRules, tiers, calculator, members, rewards, coupons, couponUse, checkoutCodes, shopifySync, smaregiBalance, imports: new ImportBalances(ledger, tiers, policy, options.clock), liability: new LiabilityReport(models, options.clock), activity: new ActivityReport(models.ledger), campaignPoints: new CampaignPoints(models.ledger, options.clock), ruleAudit: audit, heads };
  const apollo = buildSubgraphApollo<PointsContext>({ name: 'points', typeDefs, resolvers, ...options });
  return {
    apollo,
    deps,
    partnerEvents,
    settlement,
    expiry,
    birthdayBonus,
    couponExpiry,
    tierChanges: tierChangeJob,
    outbox,
    createContext: (base) => createPointsContext(deps, base),
    startBackground: () =>
      all([
        repeat('points expiry', EXPIRY_INTERVAL_MS, () => expiry.run(options.clock()), options.logger),
        nowAndRepeat('birthday bonus', BIRTHDAY_BONUS_INTERVAL_MS, () => birthdayBonus.run(options.clock()), options.logger),
        repeat('coupon expiry', EXPIRY_INTERVAL_MS, () => couponExpiry.run(options.clock()), options.logger),
        nowAndRepeat('tier changes', TIER_CHANGE_INTERVAL_MS, () => tierChangeJob.run(options.clock()), options.logger),
        outbox.start(OUTBOX_INTERVAL_MS),
      ]),
    routes: pointsRoutes(deps, settlement, options),
  };
}
