import type { Logger } from '@omo/lib/core/logger';
import { membersContract } from '@omo/lib/contracts/members';
import type { purchasesContract, ShopifyDiscountOutcome } from '@omo/lib/contracts/purchases';
import type { ParsedRequestOf } from '@omo/lib/contracts/contract';
import { internalClient, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { StoreDoc, StoreModel } from '../models/store.model';
import type { AdminResult, AdminShop, ShopifyAdminClient } from './shopify-admin.client';
import { CODE_NODE_BY_CODE, CREATE_BASIC_CODE, DEACTIVATE_CODE, type CodeNodeByCode, type CreatedCode, type DeactivatedCode } from './discount-code.queries';

export type CreateDiscountRequest = ParsedRequestOf<typeof purchasesContract.routes.createShopifyDiscount>;
export type DeactivateDiscountRequest = ParsedRequestOf<typeof purchasesContract.routes.deactivateShopifyDiscount>;

/** One shop's answer, before the shops' answers are combined. */
type ShopOutcome = { status: 'DONE' } | { status: 'RETRY'; retryAfterMs: number; reason: string } | { status: 'REFUSED'; reason: string };

const CUSTOMER_GID = (id: string) => (/^\d+$/.test(id) ? `gid://shopify/Customer/${id}` : id);

/**
 * A coupon's code as a Shopify discount code in each ONLINE store's shop (the stores with a shop domain and an
 * Admin access token), for points' outbox (lib/contracts/purchases.ts). Every call is safe to repeat: the code is
 * looked up first (codeDiscountNodeByCode), so a code the shop has is DONE without a second create, and one that is
 * already inactive is DONE without a second deactivation. The combined answer is RETRY if any shop asks for it
 * (with the longest delay; the shops already done answer DONE again next time), else REFUSED if any refused.
 */
export class ShopifyDiscountCodes {
  private readonly members: InternalClient<typeof membersContract>;

  constructor(
    private readonly deps: { stores: StoreModel; client: ShopifyAdminClient; services: ServiceDirectory; internalSecret: string; logger: Logger },
  ) {
    this.members = internalClient(membersContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'purchases' });
  }

  async create(request: CreateDiscountRequest): Promise<ShopifyDiscountOutcome> {
    const shops = await this.shops();
    if (shops.length === 0) return { status: 'DONE', shops: [] };
    let customers: Map<string, string>;
    try {
      const { customers: linked } = await this.members.shopifyCustomers({ memberId: request.memberId });
      customers = new Map(linked.map((c) => [c.storeId, c.customerId]));
    } catch (error) {
      return { status: 'RETRY', retryAfterMs: 5_000, reason: `members could not say who the member is in Shopify: ${(error as Error).message}` };
    }
    return this.combine(shops, (store, shop) => this.createIn(shop, request, customers.get(store._id.toHexString()) ?? null));
  }

  async deactivate(request: DeactivateDiscountRequest): Promise<ShopifyDiscountOutcome> {
    return this.combine(await this.shops(), (_store, shop) => this.deactivateIn(shop, request.code));
  }

  /**
   * Customer-specific where members knows the member's Shopify customer in this shop. Elsewhere any buyer may use
   * it, which is safe: the code is 16 random characters (about 79 bits) that only the member is shown, and it is
   * usable once (usageLimit 1) until the coupon's expiry.
   */
  private async createIn(shop: AdminShop, request: CreateDiscountRequest, customerId: string | null): Promise<ShopOutcome> {
    const existing = await this.lookUp(shop, request.code);
    if (existing.status !== 'MISSING') return existing.status === 'FOUND' ? { status: 'DONE' } : existing.outcome;
    const value = request.benefit.kind === 'YEN_OFF'
      ? { discountAmount: { amount: String(request.benefit.yenOff), appliesOnEachItem: false } }
      : { percentage: request.benefit.percentOff / 100 };
    const input = {
      title: request.title,
      code: request.code,
      startsAt: request.startsAt.toISOString(),
      endsAt: request.endsAt.toISOString(),
      context: customerId ? { customers: { add: [CUSTOMER_GID(customerId)] } } : { all: 'ALL' },
      customerGets: { value, items: { all: true } },
      usageLimit: 1,
      appliesOncePerCustomer: true,
    };
    const created = await this.deps.client.request<CreatedCode>(shop, CREATE_BASIC_CODE, { basicCodeDiscount: input });
    if (created.kind !== 'ok') return notOk(created);
    const userErrors = created.data.discountCodeBasicCreate?.userErrors ?? [];
    if (userErrors.length === 0) return { status: 'DONE' };
    // another attempt (a retry whose first answer was lost) created it meanwhile: Shopify refuses the code as taken
    const again = await this.lookUp(shop, request.code);
    if (again.status === 'FOUND') return { status: 'DONE' };
    if (again.status === 'FAILED') return again.outcome;
    const reason = `${shop.domain} refused the discount code: ${userErrors.map((e) => `${(e.field ?? []).join('.')} ${e.message}`.trim()).join('; ')}`;
    this.deps.logger.error({ couponId: request.couponId, shop: shop.domain, userErrors }, 'Shopify refused a coupon’s discount code');
    return { status: 'REFUSED', reason };
  }

  private async deactivateIn(shop: AdminShop, code: string): Promise<ShopOutcome> {
    const existing = await this.lookUp(shop, code);
    if (existing.status === 'FAILED') return existing.outcome;
    // never created there (the shop was added after), or already ended: nothing can use it
    if (existing.status === 'MISSING' || existing.node.codeDiscount?.status === 'EXPIRED') return { status: 'DONE' };
    const result = await this.deps.client.request<DeactivatedCode>(shop, DEACTIVATE_CODE, { id: existing.node.id });
    if (result.kind !== 'ok') return notOk(result);
    const userErrors = result.data.discountCodeDeactivate?.userErrors ?? [];
    if (userErrors.length === 0) return { status: 'DONE' };
    return { status: 'REFUSED', reason: `${shop.domain} refused to deactivate the discount code: ${userErrors.map((e) => e.message).join('; ')}` };
  }

  private async lookUp(shop: AdminShop, code: string): Promise<{ status: 'FOUND'; node: NonNullable<CodeNodeByCode['codeDiscountNodeByCode']> } | { status: 'MISSING' } | { status: 'FAILED'; outcome: ShopOutcome }> {
    const found = await this.deps.client.request<CodeNodeByCode>(shop, CODE_NODE_BY_CODE, { code });
    if (found.kind !== 'ok') return { status: 'FAILED', outcome: notOk(found) };
    const node = found.data.codeDiscountNodeByCode;
    return node ? { status: 'FOUND', node } : { status: 'MISSING' };
  }

  private async shops(): Promise<{ store: StoreDoc; shop: AdminShop }[]> {
    const stores = await this.deps.stores
      .find({ kind: 'ONLINE', shopifyShopDomain: { $ne: null }, shopifyAdminAccessToken: { $ne: null } })
      .sort({ code: 1 })
      .lean<StoreDoc[]>()
      .exec();
    return stores.map((store) => ({ store, shop: { domain: store.shopifyShopDomain!, accessToken: store.shopifyAdminAccessToken! } }));
  }

  private async combine(shops: { store: StoreDoc; shop: AdminShop }[], each: (store: StoreDoc, shop: AdminShop) => Promise<ShopOutcome>): Promise<ShopifyDiscountOutcome> {
    const outcomes = await Promise.all(shops.map(async ({ store, shop }) => ({ store, outcome: await each(store, shop) })));
    const retries = outcomes.flatMap(({ outcome }) => (outcome.status === 'RETRY' ? [outcome] : []));
    if (retries.length > 0) {
      return { status: 'RETRY', retryAfterMs: Math.max(...retries.map((r) => r.retryAfterMs)), reason: retries.map((r) => r.reason).join('; ') };
    }
    const refusals = outcomes.flatMap(({ outcome }) => (outcome.status === 'REFUSED' ? [outcome] : []));
    if (refusals.length > 0) return { status: 'REFUSED', reason: refusals.map((r) => r.reason).join('; ') };
    return { status: 'DONE', shops: outcomes.map(({ store }) => store._id.toHexString()) };
  }
}

function notOk(result: Exclude<AdminResult<unknown>, { kind: 'ok' }>): ShopOutcome {
  return result.kind === 'retry' ? { status: 'RETRY', retryAfterMs: result.retryAfterMs, reason: result.reason } : { status: 'REFUSED', reason: result.reason };
}
