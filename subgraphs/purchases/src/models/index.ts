import type { Connection } from 'mongoose';
import { externalIdClaimModel, type ExternalIdClaimModel } from './external-id-claim.model';
import { purchaseFactModel, type PurchaseFactModel } from './purchase-fact.model';
import { purchaseOutcomeModel, type PurchaseOutcomeModel } from './purchase-outcome.model';
import { purchaseModel, type PurchaseModel } from './purchase.model';
import { refundModel, type RefundModel } from './refund.model';
import { shopifyOrderStoreModel, type ShopifyOrderStoreModel } from './shopify-order-store.model';
import { storeLocationClaimModel, type StoreLocationClaimModel } from './store-location-claim.model';
import { storeModel, type StoreModel } from './store.model';

export interface PurchasesModels {
  stores: StoreModel;
  storeLocations: StoreLocationClaimModel;
  shopifyOrderStores: ShopifyOrderStoreModel;
  purchases: PurchaseModel;
  outcomes: PurchaseOutcomeModel;
  externalIds: ExternalIdClaimModel;
  refunds: RefundModel;
  facts: PurchaseFactModel;
}

export function purchasesModels(connection: Connection): PurchasesModels {
  return {
    stores: storeModel(connection),
    storeLocations: storeLocationClaimModel(connection),
    shopifyOrderStores: shopifyOrderStoreModel(connection),
    purchases: purchaseModel(connection),
    outcomes: purchaseOutcomeModel(connection),
    externalIds: externalIdClaimModel(connection),
    refunds: refundModel(connection),
    facts: purchaseFactModel(connection),
  };
}
