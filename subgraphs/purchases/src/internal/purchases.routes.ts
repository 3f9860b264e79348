import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalRouter, ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { PurchasesModels } from '../models';
import type { PurchaseService } from '../services/purchase.service';
import type { StoreService } from '../services/store.service';
import { purchasesSegmentFilter } from './segment-filter.routes';

/** The purchases contract's routes (lib/contracts/purchases.ts): members merges and checks stores here, line filters segments. */
export function purchasesRoutes(
  deps: { models: PurchasesModels; purchaseService: PurchaseService; storeService: StoreService },
  options: { internalSecret: string; logger: Logger },
): Router {
  return internalRouter(purchasesContract, {
    merge: (input) => deps.purchaseService.repointMember(input),
    resolveStores: async ({ refs }) => {
      const stores = await deps.storeService.resolveRefs(refs);
      return { stores: stores.map((store) => ({ id: store._id.toHexString(), code: store.code })) };
    },
    createShopifyDiscount: () => Promise.reject(new ServiceUnavailableError('purchases', 'Shopify discount codes are not served yet')),
    deactivateShopifyDiscount: () => Promise.reject(new ServiceUnavailableError('purchases', 'Shopify discount codes are not served yet')),
    segmentFilter: purchasesSegmentFilter(deps.models),
  }, options);
}
