import { insertOnce } from '@omo/lib/core/claims';
import { AlreadyExistsError } from '@omo/lib/core/errors';
import type { StoreLocationClaimDoc, StoreLocationClaimModel } from '../models/store-location-claim.model';
import type { StoreDoc, StoreModel } from '../models/store.model';

/**
 * A claim newer than this whose store does not list its location yet is a store being saved right now (claims are
 * taken before the store is written); older, it is a leftover of a crash or of a store that dropped the location.
 */
const IN_FLIGHT_MS = 30_000;

/** Generation 0 is the bare location id (the form claims had before they had generations), then "<location>#<n>". */
const claimId = (locationId: string, generation: number): string => (generation === 0 ? locationId : `${locationId}#${generation}`);

/**
 * Which store a Shopify POS location feeds. Claims are generations, never updated or deleted: the newest one
 * names the location's store, and only while that store lists the location. Taking a location over (its store
 * dropped it, or died before listing it) is the insert of the next generation, which of several stores claiming
 * it at once exactly one wins; FerretDB's conditional updates are not atomic, so an update could not decide it.
 */
export class StoreLocations {
  constructor(
    private readonly claims: StoreLocationClaimModel,
    private readonly stores: StoreModel,
    private readonly clock: () => Date,
  ) {}

  /** The store a location feeds, if one does. */
  async storeOf(locationId: string): Promise<StoreDoc | null> {
    const newest = await this.newest(locationId);
    return newest ? this.listing(newest.claim.storeId, locationId) : null;
  }

  /**
   * Claims each location for the store, before the store is written to list them. A location another store lists,
   * or another store is being saved with, is ALREADY_EXISTS. All are looked at before any is claimed, so a refusal
   * usually writes nothing; one that a race makes half-way leaves claims the store does not list, which lapse.
   */
  async claim(storeId: string, locationIds: string[]): Promise<void> {
    for (const locationId of locationIds) await this.next(storeId, locationId);
    for (const locationId of locationIds) await this.claimOne(storeId, locationId);
  }

  private async claimOne(storeId: string, locationId: string): Promise<void> {
    // each pass either wins the next generation or finds that another claimer just took it, whom the next pass sees
    for (;;) {
      const generation = await this.next(storeId, locationId);
      if (generation === null) return;
      if (await insertOnce(this.claims, { _id: claimId(locationId, generation), storeId, createdAt: this.clock() })) return;
    }
  }

  /** The generation the store would claim the location with: null when it holds it already; refused when another does. */
  private async next(storeId: string, locationId: string): Promise<number | null> {
    const newest = await this.newest(locationId);
    if (!newest) return 0;
    if (newest.claim.storeId === storeId) return null;
    const holder = await this.listing(newest.claim.storeId, locationId);
    if (holder) throw new AlreadyExistsError(`Shopify location ${locationId} already feeds store ${holder.code}`, { field: 'shopifyLocationIds' });
    if (this.clock().getTime() - newest.claim.createdAt.getTime() < IN_FLIGHT_MS) {
      throw new AlreadyExistsError(`Shopify location ${locationId} is being given to another store; try again in a minute`, { field: 'shopifyLocationIds' });
    }
    return newest.generation + 1;
  }

  /**
   * The newest generation, by `_id` look-ups (the one query FerretDB answers without a scan): a location changes
   * stores rarely, so its chain is a few claims long.
   */
  private async newest(locationId: string): Promise<{ claim: StoreLocationClaimDoc; generation: number } | null> {
    let newest: { claim: StoreLocationClaimDoc; generation: number } | null = null;
    for (let generation = 0; ; generation += 1) {
      const claim = await this.claims.findById(claimId(locationId, generation)).lean<StoreLocationClaimDoc>().exec();
      if (!claim) return newest;
      newest = { claim, generation };
    }
  }

  private listing(storeId: string, locationId: string): Promise<StoreDoc | null> {
    return this.stores.findOne({ _id: storeId, shopifyLocationIds: locationId }).lean<StoreDoc>().exec();
  }
}
