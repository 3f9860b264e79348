import type { BaseContext } from '@omo/lib/subgraph-server';
import { createPurchasesLoaders, type PurchasesLoaders } from './loaders/store.loaders';
import type { StoreModel } from './models/store.model';
import type { StoreService } from './services/store.service';

export interface PurchasesContext extends BaseContext {
  loaders: PurchasesLoaders;
  stores: StoreService;
}

export function createPurchasesContext(deps: { stores: StoreModel; storeService: StoreService }, base: BaseContext): PurchasesContext {
  return { ...base, loaders: createPurchasesLoaders(deps.stores), stores: deps.storeService };
}
