import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { PurchasesModels } from '../models';
import type { PurchaseService } from '../services/purchase.service';
import type { ReceiptClaimService } from '../services/receipt-claim.service';
import type { StoreService } from '../services/store.service';
import type { ShopifyDiscountCodes } from '../shopify-admin/discount-codes.service';
import type { SmaregiConnector } from '../smaregi';
import { purchasesSegmentFilter } from './segment-filter.routes';

/** The purchases contract's routes (lib/contracts/purchases.ts): members merges and checks stores here, line filters segments, points' outbox makes coupons Shopify discount codes and marks Smaregi balances, members' outbox asks for Smaregi customers, line claims receipts for linked members. */
export function purchasesRoutes(
  deps: { models: PurchasesModels; purchaseService: PurchaseService; receiptClaims: ReceiptClaimService; storeService: StoreService; discountCodes: ShopifyDiscountCodes; smaregi: SmaregiConnector },
  options: { internalSecret: string; logger: Logger },
): Router {
  return internalRouter(purchasesContract, {
    merge: async (input) => {
      const moved = await deps.purchaseService.repointMember(input);
      if (deps.smaregi.enabled) await deps.smaregi.customers.moveLinks(input.fromMemberId, input.toMemberId);
      return moved;
    },
    resolveStores: async ({ refs }) => {
      const stores = await deps.storeService.resolveRefs(refs);
      return { stores: stores.map((store) => ({ id: store._id.toHexString(), code: store.code })) };
    },
    createShopifyDiscount: (input) => deps.discountCodes.create(input),
    deactivateShopifyDiscount: (input) => deps.discountCodes.deactivate(input),
    smaregiBalance: (input) => (deps.smaregi.enabled ? deps.smaregi.mirror.mark(input) : Promise.resolve({ status: 'DISABLED' as const })),
    smaregiMember: (input) => (deps.smaregi.enabled ? deps.smaregi.customers.ensureCustomers(input) : Promise.resolve({ status: 'DISABLED' as const, customers: [] })),
    segmentFilter: purchasesSegmentFilter(deps.models),
    claimReceipt: async ({ memberId, code }) => {
      const { purchase, pointsEarned } = await deps.receiptClaims.claim(memberId, code);
      // the claim is made by now: a store that cannot be named must not turn it into an error the customer retries
      const [store] = await deps.storeService.resolveRefs([purchase.storeId]);
      return { purchaseId: purchase._id.toHexString(), storeName: store?.name ?? '', amountPaid: purchase.amountPaid, occurredAt: purchase.occurredAt, pointsEarned };
    },
  }, options);
}
