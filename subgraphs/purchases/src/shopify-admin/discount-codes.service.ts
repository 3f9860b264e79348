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
 * How long a create may take, below points' internal client's 10 s. Were it longer, points would give up and retry
 * while this request still ran; a coupon ending meanwhile skips the retry, its deactivation finds no code in the
 * shop and is DONE, and then this request's create lands: an ended coupon with a live code. So every step of a
 * create ends by this deadline (the members call, each Shopify call, whose timeout is cut to what is left) and none
 * starts without time to finish: points always hears the outcome, and on DONE looks at the coupon again and
 * deactivates the code of one that ended (coupon-shopify-sync.ts). What is left is a create Shopify carries out
 * after this gave up on it, which would have to take longer than the RETRY's 5 s until the next look.
 */
const CREATE_BUDGET_MS = 8_000;

/**
 * A coupon's code as a Shopify discount code in each ONLINE store's shop (the stores with a shop domain and an
 * Admin access token), for points' outbox (lib/contracts/purchases.ts). Every call is safe to repeat: the code is
 * looked up first (codeDiscountNodeByCode), so a code the shop has is DONE without a second create, and one that is
 * already inactive is DONE without a second deactivation. How the shops' answers combine: create and deactivate.
 */
export class ShopifyDiscountCodes {
  private readonly members: InternalClient<typeof membersContract>;
  private readonly createBudgetMs: number;

  constructor(
    private readonly deps: { stores: StoreModel; client: ShopifyAdminClient; services: ServiceDirectory; internalSecret: string; logger: Logger; createBudgetMs?: number },
  ) {
    this.members = internalClient(membersContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'purchases' });
    this.createBudgetMs = deps.createBudgetMs ?? CREATE_BUDGET_MS;
  }

  /**
   * In every shop, or (combined over the shops) RETRY if any asks for it; DONE with the shops that have the code
   * when at least one has it, the others' refusals logged for staff (a coupon usable in one shop is worth more
   * than none, and it is single use wherever it is); REFUSED when every shop refused.
   */
  async create(request: CreateDiscountRequest): Promise<ShopifyDiscountOutcome> {
    const deadline = performance.now() + this.createBudgetMs;
    const shops = await this.shops();
    if (shops.length === 0) return { status: 'DONE', shops: [] };
    let customers: Map<string, string>;
    try {
      const { customers: linked } = await beforeDeadline(this.members.shopifyCustomers({ memberId: request.memberId }), deadline, 'members did not answer in time');
      customers = new Map(linked.map((c) => [c.storeId, c.customerId]));
    } catch (error) {
      return { status: 'RETRY', retryAfterMs: 5_000, reason: `members could not say who the member is in Shopify: ${(error as Error).message}` };
    }
    const outcomes = await this.each(shops, (store, shop) => this.createIn(shop, request, customers.get(store._id.toHexString()) ?? null, deadline));
    const made = outcomes.filter(({ outcome }) => outcome.status === 'DONE');
    if (made.length === 0 || outcomes.some(({ outcome }) => outcome.status === 'RETRY')) return combined(outcomes);
    return { status: 'DONE', shops: made.map(({ store }) => store._id.toHexString()) };
  }

  /** In every shop: one that refuses to turn the code off may leave it usable, so that is REFUSED for staff. */
  async deactivate(request: DeactivateDiscountRequest): Promise<ShopifyDiscountOutcome> {
    return combined(await this.each(await this.shops(), (_store, shop) => this.deactivateIn(shop, request.code)));
  }

  /**
   * Customer-specific where members knows the member's Shopify customer in this shop. Elsewhere any buyer may use
   * it, which is safe: the code is 16 random characters (about 79 bits) that only the member is shown, and it is
   * usable once (usageLimit 1) until the coupon's expiry.
   */
  private async createIn(shop: AdminShop, request: CreateDiscountRequest, customerId: string | null, deadline: number): Promise<ShopOutcome> {
    const existing = await this.lookUp(shop, request.code, deadline);
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
    const created = await this.deps.client.request<CreatedCode>(shop, CREATE_BASIC_CODE, { basicCodeDiscount: input }, { deadline });
    if (created.kind !== 'ok') return notOk(created);
    const userErrors = created.data.discountCodeBasicCreate?.userErrors ?? [];
    if (userErrors.length === 0) return { status: 'DONE' };
    // another attempt (a retry whose first answer was lost) created it meanwhile: Shopify refuses the code as taken
    const again = await this.lookUp(shop, request.code, deadline);
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

  private async lookUp(shop: AdminShop, code: string, deadline?: number): Promise<{ status: 'FOUND'; node: NonNullable<CodeNodeByCode['codeDiscountNodeByCode']> } | { status: 'MISSING' } | { status: 'FAILED'; outcome: ShopOutcome }> {
    const found = await this.deps.client.request<CodeNodeByCode>(shop, CODE_NODE_BY_CODE, { code }, { deadline });
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

  private each(shops: { store: StoreDoc; shop: AdminShop }[], run: (store: StoreDoc, shop: AdminShop) => Promise<ShopOutcome>): Promise<{ store: StoreDoc; outcome: ShopOutcome }[]> {
    return Promise.all(shops.map(async ({ store, shop }) => ({ store, outcome: await run(store, shop) })));
  }
}

/** RETRY if any shop asks for it (with the longest delay; the shops already done answer DONE again next time), else REFUSED if any refused, else DONE. */
function combined(outcomes: { store: StoreDoc; outcome: ShopOutcome }[]): ShopifyDiscountOutcome {
  const retries = outcomes.flatMap(({ outcome }) => (outcome.status === 'RETRY' ? [outcome] : []));
  if (retries.length > 0) {
    return { status: 'RETRY', retryAfterMs: Math.max(...retries.map((r) => r.retryAfterMs)), reason: retries.map((r) => r.reason).join('; ') };
  }
  const refusals = outcomes.flatMap(({ outcome }) => (outcome.status === 'REFUSED' ? [outcome] : []));
  if (refusals.length > 0) return { status: 'REFUSED', reason: refusals.map((r) => r.reason).join('; ') };
  return { status: 'DONE', shops: outcomes.map(({ store }) => store._id.toHexString()) };
}

/** `work`, or a rejection once `deadline` (performance.now() time) has come. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function notOk(result: Exclude<AdminResult<unknown>, { kind: 'ok' }>): ShopOutcome {
  return result.kind === 'retry' ? { status: 'RETRY', retryAfterMs: result.retryAfterMs, reason: result.reason } : { status: 'REFUSED', reason: result.reason };
}
