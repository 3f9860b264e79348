import { insertOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { purchasesContract, type ShopifyDiscountOutcome } from '@omo/lib/contracts/purchases';
import { internalClient, isRetryable, type ServiceDirectory } from '@omo/lib/server/internal-api';
import { RetryLater, type Outbox, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { CouponOnlineCodeDoc, CouponOnlineCodeModel, OnlineCodeOutcome, OnlineCodeStage } from '../models/coupon-online-code.model';
import type { CouponDoc, CouponModels } from '../models/coupon.model';
import type { RewardBenefit } from '../models/reward.model';

export const CREATE_ITEM = 'coupon-shopify-create';
export const DEACTIVATE_ITEM = 'coupon-shopify-deactivate';
const createKey = (couponId: string) => `${CREATE_ITEM}:${couponId}`;
const deactivateKey = (couponId: string) => `${DEACTIVATE_ITEM}:${couponId}`;

/** A create item whose coupon never got stored (the redemption failed after queueing it) is dropped after this. */
const ABANDONED_MS = 60_000;
/**
 * A deactivation that purchases could not carry out is given up once the code has ended by itself (Shopify ends it
 * at the coupon's expiresAt) and it has been tried this long: past both, the code can no longer be used anyway.
 */
const DEACTIVATE_TRYING_MS = 3_600_000;

type ShopifyBenefit = { kind: 'YEN_OFF'; yenOff: number } | { kind: 'PERCENT_OFF'; percentOff: number };

/**
 * What a Shopify basic discount code can give of a coupon's benefit: yen off the order, or a percentage of it. A
 * percentage with a cap and a free item cannot be one (a basic code has no maximum, and a free item would be a
 * buy-X-get-Y discount): their coupons are NOT_OFFERED online, and stay valid in the stores they name.
 */
export function shopifyBenefitOf(benefit: RewardBenefit): ShopifyBenefit | null {
  if (benefit.kind === 'YEN_OFF' && benefit.yenOff) return { kind: 'YEN_OFF', yenOff: benefit.yenOff };
  if (benefit.kind === 'PERCENT_OFF' && benefit.percentOff && benefit.capYen === null) return { kind: 'PERCENT_OFF', percentOff: benefit.percentOff };
  return null;
}

/** Whether a coupon gets a Shopify discount code. */
export function offeredOnline(coupon: CouponDoc): boolean {
  return coupon.online && shopifyBenefitOf(coupon.benefit) !== null;
}

/**
 * The Shopify discount code of each coupon valid online, carried through points' outbox to purchases, which owns
 * the shops: `coupon-shopify-create` (queued before the coupon is stored) and `coupon-shopify-deactivate` (queued
 * before its end is claimed). A deactivation waits while the create item is unfinished, and a create that finds
 * the coupon ended does not call Shopify, so in the normal run the code is turned off after it was made; a create
 * attempt that a hung worker carries on after another took it over and the deactivation ran is caught by the
 * create looking at the coupon again once Shopify answered, and running the deactivation again.
 */
export class CouponShopifySync {
  private readonly purchases;

  constructor(
    private readonly deps: {
      coupons: CouponModels;
      onlineCodes: CouponOnlineCodeModel;
      services: ServiceDirectory;
      internalSecret: string;
      clock: () => Date;
      logger: Logger;
      /** Points' outbox, made with these handlers. */
      outbox: () => Outbox;
    },
  ) {
    this.purchases = internalClient(purchasesContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'points' });
  }

  /**
   * Before a coupon is stored (a redemption that finds it stored already does not call this): queues its code.
   * Rearmed, not just enqueued: a redemption that died after queueing it and is resent after the item was given up
   * (no coupon within a minute) must make the code still.
   */
  async issuing(coupon: CouponDoc): Promise<void> {
    if (offeredOnline(coupon)) await this.deps.outbox().rearm(createKey(coupon._id.toHexString()), CREATE_ITEM, { couponId: coupon._id.toHexString() });
  }

  /**
   * Before a coupon's end is claimed: queues the code's deactivation, so a crash after the claim (and after its
   * points came back) cannot leave the code usable. A crash before the claim leaves an item whose coupon has not
   * ended: it waits for the end, which the expiry job makes at the latest.
   */
  async ending(coupon: CouponDoc): Promise<void> {
    if (offeredOnline(coupon)) await this.deps.outbox().enqueue(deactivateKey(coupon._id.toHexString()), DEACTIVATE_ITEM, { couponId: coupon._id.toHexString() });
  }

  /** What each coupon's code has come to so far, by coupon id. */
  async outcomes(couponIds: readonly string[]): Promise<CouponOnlineCodeDoc[][]> {
    const docs = await this.deps.onlineCodes.find({ couponId: { $in: [...couponIds] } }).lean<CouponOnlineCodeDoc[]>().exec();
    return couponIds.map((id) => docs.filter((doc) => doc.couponId === id));
  }

  handlers(): Record<string, OutboxHandler> {
    return {
      [CREATE_ITEM]: (payload, item) => this.create(String(payload.couponId), item),
      [DEACTIVATE_ITEM]: (payload, item) => this.deactivate(String(payload.couponId), item),
    };
  }

  private async create(couponId: string, item: OutboxItemDoc): Promise<unknown> {
    const coupon = await this.deps.coupons.coupons.findById(couponId).lean<CouponDoc>().exec();
    if (!coupon) {
      if (this.ageOf(item) < ABANDONED_MS) throw new RetryLater('the coupon is not stored yet');
      return { dropped: 'the coupon was never stored' };
    }
    const benefit = shopifyBenefitOf(coupon.benefit);
    if (!coupon.online || !benefit) return { skipped: 'not offered online' };
    // ended before its code was made: its deactivation (queued before the end) is all that is left to do
    if (await this.ended(coupon)) return { skipped: 'the coupon ended first' };
    const outcome = await attempt(() =>
      this.purchases.createShopifyDiscount({
        couponId,
        code: coupon.code,
        memberId: coupon.memberId,
        title: `${coupon.nameEn} (${couponId})`,
        benefit,
        startsAt: coupon.issuedAt,
        endsAt: coupon.expiresAt,
      }),
    );
    if (outcome.status === 'UNREACHABLE') throw outcome.error;
    if (outcome.status === 'RETRY') throw new RetryLater(`Shopify: ${outcome.reason}`, { afterMs: outcome.retryAfterMs });
    // Crash point: the code exists in Shopify and nothing here says so. The item is not done, so its next attempt
    // asks again, and purchases answers DONE for a code its shops have.
    if (outcome.status === 'DONE') await this.record(couponId, 'CREATE', 'ACTIVE', outcome.shops, null);
    else await this.record(couponId, 'CREATE', 'FAILED', [], outcome.reason);
    // The coupon may have ended while Shopify made the code, and its deactivation run already, if this attempt was
    // taken over (its worker hung) and the taker finished the item first: then the code is turned off once more.
    if (outcome.status === 'DONE' && (await this.ended(coupon))) {
      await this.deps.outbox().rearm(deactivateKey(couponId), DEACTIVATE_ITEM, { couponId });
    }
    return outcome;
  }

  private async deactivate(couponId: string, item: OutboxItemDoc): Promise<unknown> {
    const coupon = await this.deps.coupons.coupons.findById(couponId).lean<CouponDoc>().exec();
    if (!coupon) return { dropped: 'no such coupon' };
    const now = this.deps.clock().getTime();
    if (!(await this.ended(coupon))) {
      // queued by an end that died before its claim: the coupon still holds, and the expiry job ends it at expiresAt
      if (now < coupon.expiresAt.getTime() + DEACTIVATE_TRYING_MS) throw new RetryLater('the coupon has not ended');
      return { dropped: 'the coupon never ended' };
    }
    const create = await this.deps.outbox().find(createKey(couponId));
    if (create && !create.doneAt) throw new RetryLater('its code is still being made');
    const outcome = await attempt(() => this.purchases.deactivateShopifyDiscount({ couponId, code: coupon.code }));
    if (outcome.status === 'RETRY' || outcome.status === 'UNREACHABLE') {
      const reason = outcome.status === 'RETRY' ? `Shopify: ${outcome.reason}` : outcome.error.message;
      if (now < coupon.expiresAt.getTime() || this.ageOf(item) < DEACTIVATE_TRYING_MS) {
        if (outcome.status === 'UNREACHABLE') throw outcome.error;
        throw new RetryLater(reason, { afterMs: outcome.retryAfterMs });
      }
      this.deps.logger.warn({ couponId, reason }, 'Shopify code not deactivated; it ended at the coupon expiry');
      await this.record(couponId, 'DEACTIVATE', 'DEACTIVATED', [], `Ended at the coupon's expiry; Shopify could not be reached sooner (${reason})`);
      return { givenUp: reason };
    }
    if (outcome.status === 'DONE') await this.record(couponId, 'DEACTIVATE', 'DEACTIVATED', outcome.shops, null);
    else {
      this.deps.logger.error({ couponId, reason: outcome.reason }, 'Shopify refused to deactivate a coupon code');
      await this.record(couponId, 'DEACTIVATE', 'FAILED', [], `Shopify refused to deactivate the code: ${outcome.reason}`);
    }
    return outcome;
  }

  private async ended(coupon: CouponDoc): Promise<boolean> {
    return (await this.deps.coupons.ends.exists({ _id: coupon._id }).exec()) !== null;
  }

  /** Once per stage: a rerun finds the first outcome standing. */
  private async record(couponId: string, stage: OnlineCodeStage, outcome: OnlineCodeOutcome, shops: string[], reason: string | null): Promise<void> {
    await insertOnce(this.deps.onlineCodes, { _id: `${couponId}:${stage}`, couponId, stage, outcome, shops, reason, at: this.deps.clock() });
  }

  private ageOf(item: OutboxItemDoc): number {
    return this.deps.clock().getTime() - item.createdAt.getTime();
  }
}

type CallOutcome = ShopifyDiscountOutcome | { status: 'UNREACHABLE'; error: Error };

/**
 * Purchases' answer, or why there was none: purchases unreachable, failing, or the two services' secrets out of step
 * is UNREACHABLE (retried after the outbox's back-off, and logged by it); any other refusal of the request is one no
 * retry changes.
 */
async function attempt(call: () => Promise<ShopifyDiscountOutcome>): Promise<CallOutcome> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError && !isRetryable(error)) return { status: 'REFUSED', reason: `purchases refused it: ${error.message}` };
    return { status: 'UNREACHABLE', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
