import type { BaseContext } from '@omo/lib/server/subgraph-server';
import { createPurchasesLoaders, type PurchasesLoaders } from './loaders/purchases.loaders';
import type { PurchasesModels } from './models';
import type { CampaignPurchases } from './services/campaign-purchases';
import type { ChannelReport } from './services/channel-report';
import type { PurchaseService } from './services/purchase.service';
import type { ReceiptClaimService } from './services/receipt-claim.service';
import type { RefundService } from './services/refund.service';
import type { StoreService } from './services/store.service';
import type { BalanceMirror } from './smaregi/mirror/balance-mirror';
import type { SmaregiEventLog } from './smaregi/webhook/event-log';

export interface PurchasesContext extends BaseContext {
  loaders: PurchasesLoaders;
  models: PurchasesModels;
  stores: StoreService;
  purchases: PurchaseService;
  refunds: RefundService;
  receiptClaims: ReceiptClaimService;
  smaregiEvents: SmaregiEventLog;
  smaregiMirror: BalanceMirror;
  channelReport: ChannelReport;
  campaignPurchases: CampaignPurchases;
}

export interface PurchasesDeps {
  models: PurchasesModels;
  storeService: StoreService;
  purchaseService: PurchaseService;
  refundService: RefundService;
  receiptClaims: ReceiptClaimService;
  smaregiEvents: SmaregiEventLog;
  smaregiMirror: BalanceMirror;
  channelReport: ChannelReport;
  campaignPurchases: CampaignPurchases;
}

export function createPurchasesContext(deps: PurchasesDeps, base: BaseContext): PurchasesContext {
  return { ...base, loaders: createPurchasesLoaders(deps.models), models: deps.models, stores: deps.storeService, purchases: deps.purchaseService, refunds: deps.refundService, receiptClaims: deps.receiptClaims, smaregiEvents: deps.smaregiEvents, smaregiMirror: deps.smaregiMirror, channelReport: deps.channelReport, campaignPurchases: deps.campaignPurchases };
}
