import { z } from 'zod';
import { requireAdmin, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AlreadyExistsError, AppError, BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { Types } from 'mongoose';
import type { StoreLocationClaimModel } from '../models/store-location-claim.model';
import type { StoreDoc, StoreKind, StoreModel } from '../models/store.model';
import { parseInput } from '@omo/lib/core/validation';
import { StoreLocations } from './store-locations';

export interface CreateStoreInput {
  code: string;
  name: string;
  kind: StoreKind;
  prefecture?: string | null;
  city?: string | null;
  opensAt?: Date | null;
  closesAt?: Date | null;
  shopifyShopDomain?: string | null;
  shopifyWebhookSecret?: string | null;
  shopifyAdminAccessToken?: string | null;
  shopifyLocationIds?: string[] | null;
}

/** Omitted (undefined) or null fields stay as they are, except that null clears prefecture, city and pop-up dates. */
export type UpdateStoreInput = { [K in keyof Omit<CreateStoreInput, 'code' | 'kind'>]?: CreateStoreInput[K] | null };
const CLEARABLE = new Set(['prefecture', 'city', 'opensAt', 'closesAt']);

const text = (max: number) => z.string().trim().min(1).max(max);
const shopDomain = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be a myshopify.com domain');
const fields = {
  name: text(100),
  prefecture: text(20).nullish(),
  city: text(50).nullish(),
  opensAt: z.date().nullish(),
  closesAt: z.date().nullish(),
  shopifyShopDomain: shopDomain.nullish(),
  shopifyWebhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).nullish(),
  shopifyAdminAccessToken: z.string().trim().min(16, 'must be at least 16 characters').max(200).nullish(),
  shopifyLocationIds: z
    .array(z.string().trim().regex(/^\d{1,30}$/, 'must be Shopify location ids (digits)'))
    .max(50)
    .transform((ids) => [...new Set(ids)])
    .nullish(),
};
const createSchema = z.object({ code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,20}$/, 'must be 1-20 letters, digits, - or _'), kind: z.enum(['PHYSICAL', 'ONLINE', 'POPUP']), ...fields });
const updateSchema = z.object({ ...fields, name: text(100).nullish() }).partial();

function onlyRegisterStores(): BadUserInputError {
  return new BadUserInputError('Only PHYSICAL and POPUP stores have Shopify POS locations', { field: 'shopifyLocationIds' });
}

function duplicateCode(code: string): AlreadyExistsError {
  return new AlreadyExistsError(`A store with code ${code} already exists`, { field: 'code' });
}

function checkWindow(store: Pick<StoreDoc, 'opensAt' | 'closesAt'>): void {
  if (store.opensAt && store.closesAt && store.closesAt.getTime() <= store.opensAt.getTime()) {
    throw new BadUserInputError('closesAt must be after opensAt', { field: 'closesAt' });
  }
}

export class StoreService {
  private readonly locations: StoreLocations;

  constructor(
    private readonly stores: StoreModel,
    locationClaims: StoreLocationClaimModel,
    clock: () => Date,
  ) {
    this.locations = new StoreLocations(locationClaims, stores, clock);
  }

  list(caller: Caller): Promise<StoreDoc[]> {
    requireAuthenticated(caller);
    return this.stores.find().sort({ code: 1 }).lean<StoreDoc[]>().exec();
  }

  findByCode(code: string): Promise<StoreDoc | null> {
    return this.stores.findOne({ code }).lean<StoreDoc>().exec();
  }

  /**
   * The stores these references name, each an id or a code (a code is at most 20 characters, an id 24 hex digits,
   * so one cannot be taken for the other), one per reference in order. NOT_FOUND naming the unknown ones.
   */
  async resolveRefs(refs: string[]): Promise<StoreDoc[]> {
    const isId = (ref: string) => /^[0-9a-f]{24}$/i.test(ref);
    const found = await this.stores
      .find({ $or: [{ _id: { $in: refs.filter(isId) } }, { code: { $in: refs.filter((ref) => !isId(ref)) } }] })
      .lean<StoreDoc[]>()
      .exec();
    const byRef = new Map(found.flatMap((store) => [[store._id.toHexString(), store] as const, [store.code, store] as const]));
    const unknown = refs.filter((ref) => !byRef.has(isId(ref) ? ref.toLowerCase() : ref));
    if (unknown.length) throw new AppError(`Unknown ${unknown.length === 1 ? 'store' : 'stores'}: ${unknown.join(', ')}`, 'NOT_FOUND');
    return refs.map((ref) => byRef.get(isId(ref) ? ref.toLowerCase() : ref)!);
  }

  findByShopDomain(domain: string): Promise<StoreDoc | null> {
    return this.stores.findOne({ shopifyShopDomain: domain.toLowerCase(), kind: 'ONLINE' }).lean<StoreDoc>().exec();
  }

  /**
   * One store per Shopify shop, or webhooks could land in either. Checked, not indexed: a unique index would clash
   * on the many stores without a shop, and FerretDB has no partial indexes. Store changes are rare staff actions.
   */
  private async assertDomainFree(domain: string, exceptId: string | null): Promise<void> {
    const holder = await this.stores.findOne({ shopifyShopDomain: domain }).lean<StoreDoc>().exec();
    if (holder && holder._id.toHexString() !== exceptId) {
      throw new AlreadyExistsError(`Store ${holder.code} already receives the webhooks of ${domain}`, { field: 'shopifyShopDomain' });
    }
  }

  async create(caller: Caller, raw: CreateStoreInput): Promise<StoreDoc> {
    requireAdmin(caller);
    const input = parseInput(createSchema, raw);
    checkWindow(input);
    if ((input.shopifyShopDomain || input.shopifyWebhookSecret) && input.kind !== 'ONLINE') {
      throw new BadUserInputError('Only ONLINE stores are fed by Shopify', { field: 'shopifyShopDomain' });
    }
    if (input.shopifyAdminAccessToken && input.kind !== 'ONLINE') throw new BadUserInputError('Only ONLINE stores have a Shopify shop', { field: 'shopifyAdminAccessToken' });
    if (input.shopifyAdminAccessToken && !input.shopifyShopDomain) {
      throw new BadUserInputError('shopifyAdminAccessToken needs the shop it is for (shopifyShopDomain)', { field: 'shopifyAdminAccessToken' });
    }
    if (Boolean(input.shopifyShopDomain) !== Boolean(input.shopifyWebhookSecret)) {
      throw new BadUserInputError('shopifyShopDomain and shopifyWebhookSecret go together', { field: 'shopifyWebhookSecret' });
    }
    if (input.shopifyShopDomain) await this.assertDomainFree(input.shopifyShopDomain, null);
    if (input.shopifyLocationIds?.length && input.kind === 'ONLINE') throw onlyRegisterStores();
    // a taken code is refused before any location is claimed: a claim of a store never written keeps its location
    // from others for a while
    if (await this.findByCode(input.code)) throw duplicateCode(input.code);
    const id = new Types.ObjectId();
    await this.locations.claim(id.toHexString(), input.shopifyLocationIds ?? []);
    // not insertOnce: the caller gets the document as mongoose stored it (id, defaults, timestamps), which only
    // create returns, and a clash is refused, not re-read
    try {
      return (await this.stores.create({ ...input, _id: id, shopifyLocationIds: input.shopifyLocationIds ?? [] })).toObject();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw duplicateCode(input.code);
      throw error;
    }
  }

  async update(caller: Caller, id: string, raw: UpdateStoreInput): Promise<StoreDoc> {
    requireAdmin(caller);
    if (!/^[0-9a-f]{24}$/i.test(id)) throw new BadUserInputError('Not a store id', { field: 'id' });
    const input = parseInput(updateSchema, raw);
    const store = await this.stores.findById(id).lean<StoreDoc>().exec();
    if (!store) throw new NotFoundError('Store');
    const set = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && (v !== null || CLEARABLE.has(k))));
    checkWindow({ ...store, ...set });
    if ((set.shopifyShopDomain || set.shopifyWebhookSecret || set.shopifyAdminAccessToken) && store.kind !== 'ONLINE') {
      throw new BadUserInputError('Only ONLINE stores are fed by Shopify', { field: 'shopifyShopDomain' });
    }
    if (set.shopifyAdminAccessToken && !(set.shopifyShopDomain ?? store.shopifyShopDomain)) {
      throw new BadUserInputError('shopifyAdminAccessToken needs the shop it is for (shopifyShopDomain)', { field: 'shopifyAdminAccessToken' });
    }
    if (typeof set.shopifyShopDomain === 'string') await this.assertDomainFree(set.shopifyShopDomain, id);
    const locations = input.shopifyLocationIds;
    if (locations?.length && store.kind === 'ONLINE') throw onlyRegisterStores();
    const before = store.shopifyLocationIds ?? [];
    // locations the store stops listing need no release: a claim whose store does not list its location is free
    if (locations) await this.locations.claim(id, locations.filter((l) => !before.includes(l)));
    const updated = await this.stores.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<StoreDoc>().exec();
    if (!updated) throw new NotFoundError('Store');
    return updated;
  }
}
