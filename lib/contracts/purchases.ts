import { z } from 'zod';
import { objectIdSchema } from '@omo/lib/core/validation';
import { contract, instant, route } from '@omo/lib/contracts/contract';
import { purchasesConditionSchema, segmentFilterRoute } from '@omo/lib/contracts/segment-filter';

/**
 * What a Shopify Admin call for a coupon's discount code came to. DONE: the code exists (CREATE) or is inactive
 * (DEACTIVATE) in every shop that takes it (`shops`: the ONLINE store ids; none configured: DONE with none). RETRY:
 * Shopify throttled (429, or the GraphQL cost throttle) or failed (5xx, timeout); ask again after retryAfterMs.
 * REFUSED: Shopify refused the input (its userErrors), which asking again cannot change: staff see the reason.
 */
const shopifyDiscountOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('DONE'), shops: z.array(z.string()) }),
  z.object({ status: z.literal('RETRY'), retryAfterMs: z.number().int().min(0), reason: z.string() }),
  z.object({ status: z.literal('REFUSED'), reason: z.string() }),
]);
export type ShopifyDiscountOutcome = z.output<typeof shopifyDiscountOutcome>;

/** The purchases service's internal routes. */
export const purchasesContract = contract('purchases', {
  /** members (outbox): the merged member's purchases and stats become the survivor's (idempotent by mergeId). */
  merge: route(
    '/internal/merges',
    z.object({ mergeId: z.string().min(1).max(200), fromMemberId: objectIdSchema(), toMemberId: objectIdSchema() }),
    z.object({ moved: z.number().int() }),
    { message: 'mergeId, fromMemberId and toMemberId are required', field: 'mergeId' },
  ),
  /** members: the stores a new POS key is for, named by id or by code; NOT_FOUND names the unknown ones. */
  resolveStores: route(
    '/internal/stores/resolve',
    z.object({ refs: z.array(z.string().min(1).max(100)).min(1).max(100) }),
    z.object({ stores: z.array(z.object({ id: z.string(), code: z.string() })) }),
    { message: 'refs must be a list of 1-100 store ids or codes', field: 'refs' },
  ),
  /**
   * points (outbox): make a coupon's code a Shopify discount code in each ONLINE store's shop (customer-specific when
   * members knows the member's Shopify customer there, usage limit 1, ending at the coupon's expiry). Idempotent by
   * the code: a code the shop has already is DONE.
   */
  createShopifyDiscount: route(
    '/internal/shopify/discount-codes/create',
    z.object({
      couponId: objectIdSchema(),
      code: z.string().min(1).max(40),
      memberId: objectIdSchema(),
      /** Shown to staff in the Shopify admin. */
      title: z.string().min(1).max(255),
      benefit: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('YEN_OFF'), yenOff: z.number().int().min(1) }),
        z.object({ kind: z.literal('PERCENT_OFF'), percentOff: z.number().int().min(1).max(100) }),
      ]),
      startsAt: instant,
      endsAt: instant,
    }),
    shopifyDiscountOutcome,
  ),
  /** points (outbox): the coupon ended (expired, cancelled, used in a store): its Shopify code can no longer be used. */
  deactivateShopifyDiscount: route(
    '/internal/shopify/discount-codes/deactivate',
    z.object({ couponId: objectIdSchema(), code: z.string().min(1).max(40) }),
    shopifyDiscountOutcome,
  ),
  /**
   * points (outbox, issue 17): a member's points changed (any ledger entry, or pending points became usable). The
   * Smaregi connector keeps it as a mark per Smaregi customer of the member and sets that customer's point field to
   * the newest mark (by `seq`, then `asOf`) from its own outbox, so marks may arrive in any order and more than once.
   * QUEUED: kept, sent soon; NOT_MAPPED: the member has no Smaregi customer (nothing kept; the customer's mapping
   * asks points for the state when it is made); DISABLED: no contract is configured.
   */
  smaregiBalance: route(
    '/internal/smaregi/balances',
    z.object({
      memberId: objectIdSchema(),
      /** The ledger seq of the member's head entry when the balance was read. */
      seq: z.number().int().min(0),
      /** Usable points then (pending ones not counted), minus points owed; may be negative (Smaregi is sent 0). */
      balance: z.number().int(),
      /** When the balance was read: of two marks at one seq, the later one counts (pending points matured). */
      asOf: instant,
    }),
    z.object({ status: z.enum(['QUEUED', 'NOT_MAPPED', 'DISABLED']) }),
  ),
  /**
   * members (outbox, issue 17): a member was registered anywhere but at a Smaregi register: each configured
   * contract with createCustomers gets a customer record for them (customerCode = the member code), once
   * (idempotent by contract + member). A later change of contacts or name is not sent.
   */
  smaregiMember: route(
    '/internal/smaregi/members',
    z.object({
      memberId: objectIdSchema(),
      memberCode: z.string().min(1).max(20),
      /** Family and given name when known; else the display name as lastName. */
      lastName: z.string().min(1).max(85),
      firstName: z.string().max(85).nullable(),
      phone: z.string().max(30).nullable(),
      email: z.string().max(254).nullable(),
      birthday: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
      /** The contract whose register created this member (that contract already has the customer). */
      fromSmaregiContractId: z.string().nullable().default(null),
    }),
    z.object({ status: z.enum(['DONE', 'DISABLED']), customers: z.array(z.object({ contractId: z.string(), customerId: z.string() })) }),
  ),
  segmentFilter: segmentFilterRoute(purchasesConditionSchema),
  /**
   * line (chat, member page): the linked member claims a guest purchase by its receipt code (docs/receipt-claims.md),
   * as claimPurchase does for a signed-in customer. Refusals: BAD_USER_INPUT (not a code, or a typo its check
   * symbol caught), NOT_FOUND (no such code), MEMBER_WITHDRAWN, CLAIM_EXPIRED, PURCHASE_REFUNDED, ALREADY_CLAIMED
   * (`claimedByYou` in the details), RATE_LIMITED (`limit` in the details: the day's cap of claims, with
   * `retryAfterSeconds` until midnight in Japan; without it, too many codes that matched nothing). `pointsEarned`
   * null: settling, the points follow.
   */
  claimReceipt: route(
    '/internal/receipt-claims',
    z.object({ memberId: objectIdSchema(), code: z.string().min(1).max(40) }),
    z.object({
      purchaseId: z.string(),
      storeName: z.string(),
      amountPaid: z.number().int(),
      occurredAt: instant,
      pointsEarned: z.number().int().nullable(),
    }),
    { message: 'memberId and code are required', field: 'code' },
  ),
});
