import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { parse } from 'graphql';
import { all, repeat } from '@omo/lib/server/background';
import { Outbox, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { createPurchasesContext, type PurchasesContext, type PurchasesDeps } from './context';
import { purchasesRoutes } from './internal/purchases.routes';
import { purchasesModels } from './models';
import { settlementGauges } from './services/settlement-gauges';
import { resolvers } from './resolvers';
import { CampaignPurchases } from './services/campaign-purchases';
import { ChannelReport } from './services/channel-report';
import { CouponQuotes } from './services/coupon-quotes';
import { MembersClient } from './services/members.client';
import { remotePartnerEventSink } from '@omo/lib/contracts/members';
import { PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import type { PartnerEvent } from '@omo/lib/events/partner-events';
import { settlementHandlers } from './services/points-settlement';
import { PurchaseService } from './services/purchase.service';
import { ReceiptClaimService } from './services/receipt-claim.service';
import { RefundService } from './services/refund.service';
import { SettlementSweepJob } from './services/settlement-sweep.job';
import { StoreService } from './services/store.service';
import { ShopifyDiscountCodes } from './shopify-admin/discount-codes.service';
import { ShopifyAdminClient } from './shopify-admin/shopify-admin.client';
import { shopifyWebhookRoutes } from './webhooks/shopify.routes';
import { buildSmaregiConnector, type SmaregiConnector } from './smaregi';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

const OUTBOX_INTERVAL_MS = 2_000;
/** How often settlements stuck past the outbox are looked for (SettlementSweepJob). */
const SWEEP_INTERVAL_MS = 60_000;

export interface PurchasesSubgraph extends BuiltSubgraph<PurchasesContext>, PurchasesDeps {
  outbox: Outbox;
  settlementSweep: SettlementSweepJob;
  smaregi: SmaregiConnector;
}

export function buildPurchasesSubgraph(options: SubgraphBuildOptions): PurchasesSubgraph {
  const models = purchasesModels(options.connection);
  const storeService = new StoreService(models.stores, models.storeLocations, options.clock);
  const members = new MembersClient(options.services, options.internalSecret);
  const partnerEvents = new PartnerEventPublisher(
    remotePartnerEventSink({ directory: options.services, internalSecret: options.internalSecret, service: 'purchases' }),
    options.clock,
    options.logger,
  );
  const publish = (event: PartnerEvent) => partnerEvents.publish(outbox, event);
  // the Smaregi connector's handlers join these once it is built on this outbox (the outbox keeps this object)
  const handlers: Record<string, OutboxHandler> = {
    ...settlementHandlers({ models, members, services: options.services, internalSecret: options.internalSecret, clock: options.clock, logger: options.logger, publish }),
    ...partnerEvents.handlers(),
  };
  const outbox = new Outbox(options.connection, 'purchases', handlers, options.logger, options.clock);
  const coupons = new CouponQuotes(options.services, options.internalSecret);
  const purchaseService = new PurchaseService(models, members, coupons, outbox, options.clock, { posMaxBackdateHours: options.config.POS_MAX_BACKDATE_HOURS, receiptClaimDays: options.config.RECEIPT_CLAIM_DAYS });
  const refundService = new RefundService(models, outbox, options.clock);
  const receiptClaims = new ReceiptClaimService(models, members, outbox, options.clock, { liffId: options.config.LIFF_ID, claimsPerDay: options.config.RECEIPT_CLAIMS_PER_DAY });
  const settlementSweep = new SettlementSweepJob(models, outbox, options.clock);
  const discountCodes = new ShopifyDiscountCodes({
    stores: models.stores,
    client: new ShopifyAdminClient(options.config),
    services: options.services,
    internalSecret: options.internalSecret,
    logger: options.logger,
  });
  const smaregi = buildSmaregiConnector({
    config: options.config,
    connection: options.connection,
    models,
    purchases: purchaseService,
    refunds: refundService,
    stores: storeService,
    members,
    services: options.services,
    internalSecret: options.internalSecret,
    logger: options.logger,
    clock: options.clock,
    outbox: () => outbox,
  });
  Object.assign(handlers, smaregi.outboxHandlers);
  const deps: PurchasesDeps = { models, storeService, purchaseService, refundService, receiptClaims, smaregiEvents: smaregi.webhooks.log, smaregiMirror: smaregi.mirror, channelReport: new ChannelReport(models.purchases), campaignPurchases: new CampaignPurchases(models.purchases, options.clock) };
  const apollo = buildSubgraphApollo<PurchasesContext>({ name: 'purchases', typeDefs, resolvers, ...options });
  return {
    ...deps,
    apollo,
    outbox,
    settlementSweep,
    smaregi,
    gauges: settlementGauges(models.purchases),
    createContext: (base) => createPurchasesContext(deps, base),
    startBackground: () =>
      all([
        outbox.start(OUTBOX_INTERVAL_MS),
        repeat('rearm stuck settlements', SWEEP_INTERVAL_MS, () => settlementSweep.rearmStuck(), options.logger),
        repeat('finish receipt claims', SWEEP_INTERVAL_MS, () => receiptClaims.finishStale(), options.logger),
        ...smaregi.background,
      ]),
    routes: Router().use(
      smaregi.routes,
      shopifyWebhookRoutes({ models, purchases: purchaseService, refunds: refundService, coupons, services: options.services, internalSecret: options.internalSecret, logger: options.logger, clock: options.clock }),
      purchasesRoutes({ models, purchaseService, receiptClaims, storeService, discountCodes, smaregi }, options),
    ),
  };
}
