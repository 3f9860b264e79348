import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import type { StoreDoc } from '../models/store.model';

/** Where an order's purchase is recorded, and why not at the store its POS location names, if it named one. */
export interface OrderStore {
  store: StoreDoc;
  /** Set when a Shopify POS order's location feeds none of our stores: it is recorded at the shop's ONLINE store. */
  unmapped: string | null;
}

/**
 * The stores a shop's orders are recorded at: a Shopify POS order at a location a PHYSICAL or POPUP store lists
 * (`shopifyLocationIds`, claimed in store_shopify_locations) is that store's purchase, every other order the shop's
 * ONLINE store's. Deliveries stay the ONLINE store's either way.
 */
export class ShopifyStores {
  constructor(private readonly models: PurchasesModels) {}

  async orderStore(shop: StoreDoc, posLocationId: string | null): Promise<OrderStore> {
    if (!posLocationId) return { store: shop, unmapped: null };
    const claim = await this.models.storeLocations.findById(posLocationId).lean().exec();
    const store = claim && (await this.models.stores.findOne({ _id: claim.storeId, shopifyLocationIds: posLocationId }).lean<StoreDoc>().exec());
    if (!store || store.kind === 'ONLINE') return { store: shop, unmapped: `Shopify POS location ${posLocationId} feeds none of our stores: recorded online` };
    return { store, unmapped: null };
  }

  /**
   * The purchase of a shop's order wherever it was recorded: at the ONLINE store, or at a store with POS locations
   * (a refund does not say where its order was rung up, and a location may have been mapped since the order).
   */
  async purchaseOf(shop: StoreDoc, externalId: string): Promise<PurchaseDoc | null> {
    const posStoreIds = await this.models.storeLocations.distinct<string>('storeId').exec();
    return this.models.purchases
      .findOne({ externalId, storeId: { $in: [shop._id.toHexString(), ...posStoreIds] } })
      .lean<PurchaseDoc>()
      .exec();
  }
}
