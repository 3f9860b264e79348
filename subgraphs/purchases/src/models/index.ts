import type { Connection } from 'mongoose';
import { attemptModel, type AttemptModel } from '@omo/lib/core/attempt-limiter';
import { externalIdClaimModel, type ExternalIdClaimModel } from './external-id-claim.model';
import { purchaseFactModel, type PurchaseFactModel } from './purchase-fact.model';
import { purchaseOutcomeModel, type PurchaseOutcomeModel } from './purchase-outcome.model';
import { purchaseModel, type PurchaseModel } from './purchase.model';
import { receiptClaimModel, type ReceiptClaimModel } from './receipt-claim.model';
import { receiptClaimDecisionModel, type ReceiptClaimDecisionModel } from './receipt-claim-decision.model';
import { receiptCodeModel, type ReceiptCodeModel } from './receipt-claim-code.model';
import { receiptClaimSlotModel, type ReceiptClaimSlotModel } from './receipt-claim-slot.model';
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
  receiptCodes: ReceiptCodeModel;
  receiptClaims: ReceiptClaimModel;
  receiptClaimAttempts: AttemptModel;
  receiptClaimSlots: ReceiptClaimSlotModel;
  receiptClaimDecisions: ReceiptClaimDecisionModel;
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
    receiptCodes: receiptCodeModel(connection),
    receiptClaims: receiptClaimModel(connection),
    receiptClaimAttempts: attemptModel(connection, 'ReceiptClaimAttempt', 'receipt_claim_attempts'),
    receiptClaimSlots: receiptClaimSlotModel(connection),
    receiptClaimDecisions: receiptClaimDecisionModel(connection),
  };
}
