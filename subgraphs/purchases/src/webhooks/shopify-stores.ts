import { claimOnce } from '@omo/lib/core/claims';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import { shopifyOrderStoreKey } from '../models/shopify-order-store.model';
import type { StoreDoc } from '../models/store.model';
import { StoreLocations } from '../services/store-locations';

/** Where an order's purchase is recorded, and why not at the store its POS location names, if it named one. */
export interface OrderStore {
  store: StoreDoc;
  /** Set when a Shopify POS order's location feeds none of our stores: it is recorded at the shop's ONLINE store. */
  unmapped: string | null;
}

/**
 * The stores a shop's orders are recorded at: a Shopify POS order at a location a PHYSICAL or POPUP store lists
 * (`shopifyLocationIds`, claimed in store_shopify_locations) is that store's purchase, every other order the shop's
 * ONLINE store's. A POS order's store is decided once, when an event about it is first carried out, by a claim in
 * shopify_order_stores: a location moved to another store (or dropped) since is not where the order was rung up,
 * and looking the location up again would record the order a second time there, earning twice. Deliveries stay
 * the ONLINE store's either way.
 */
export class ShopifyStores {
  private readonly locations: StoreLocations;

  constructor(
    private readonly models: PurchasesModels,
    private readonly clock: () => Date,
  ) {
    this.locations = new StoreLocations(models.storeLocations, models.stores, clock);
  }

  /**
   * The store to record the order at. A POS order's claim is taken before its purchase is recorded (also for an
   * order not paid yet, which names where it was rung up as well): a crash between the two leaves the claim, and
   * the next event records the order at the store it names.
   */
  async orderStore(shop: StoreDoc, externalId: string, posLocationId: string | null): Promise<OrderStore> {
    if (!posLocationId) return { store: shop, unmapped: null };
    const mapped = await this.locations.storeOf(posLocationId);
    const decided = mapped && mapped.kind !== 'ONLINE' ? mapped : shop;
    const claim = await claimOnce(this.models.shopifyOrderStores, {
      _id: shopifyOrderStoreKey(shop._id.toHexString(), externalId),
      storeId: decided._id.toHexString(),
      locationId: posLocationId,
      createdAt: this.clock(),
    });
    // claims are never deleted, so a lost claim is there to read
    if (!claim.won && !claim.existing) throw new Error('The order’s store claim vanished while it was read');
    const storeId = claim.won ? claim.doc.storeId : claim.existing!.storeId;
    const store = storeId === decided._id.toHexString() ? decided : await this.models.stores.findById(storeId).lean<StoreDoc>().exec();
    // stores are never deleted; a claim naming none would be a bug, and recording the order anywhere else could earn twice
    if (!store) throw new Error(`The store ${storeId} an order was claimed for does not exist`);
    if (store._id.equals(shop._id)) return { store: shop, unmapped: `Shopify POS location ${posLocationId} feeds none of our stores: recorded online` };
    return { store, unmapped: null };
  }

  /**
   * The purchase of a shop's order wherever it was recorded: at its claimed store (a POS order), else at the ONLINE
   * store. A refund does not say where its order was rung up; the claim does, in one look-up by `_id`.
   */
  async purchaseOf(shop: StoreDoc, externalId: string): Promise<PurchaseDoc | null> {
    const claim = await this.models.shopifyOrderStores.findById(shopifyOrderStoreKey(shop._id.toHexString(), externalId)).lean().exec();
    return this.models.purchases
      .findOne({ externalId, storeId: claim?.storeId ?? shop._id.toHexString() })
      .lean<PurchaseDoc>()
      .exec();
  }
}
