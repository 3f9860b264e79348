import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { PurchasesModels } from '../models';
import type { PurchaseService } from '../services/purchase.service';
import type { StoreService } from '../services/store.service';
import type { ShopifyDiscountCodes } from '../shopify-admin/discount-codes.service';
import { purchasesSegmentFilter } from './segment-filter.routes';

/** The purchases contract's routes (lib/contracts/purchases.ts): members merges and checks stores here, line filters segments, points' outbox makes coupons Shopify discount codes. */
export function purchasesRoutes(
  deps: { models: PurchasesModels; purchaseService: PurchaseService; storeService: StoreService; discountCodes: ShopifyDiscountCodes },
  options: { internalSecret: string; logger: Logger },
): Router {
  return internalRouter(purchasesContract, {
    merge: (input) => deps.purchaseService.repointMember(input),
    resolveStores: async ({ refs }) => {
      const stores = await deps.storeService.resolveRefs(refs);
      return { stores: stores.map((store) => ({ id: store._id.toHexString(), code: store.code })) };
    },
    createShopifyDiscount: (input) => deps.discountCodes.create(input),
    deactivateShopifyDiscount: (input) => deps.discountCodes.deactivate(input),
    segmentFilter: purchasesSegmentFilter(deps.models),
  }, options);
}
