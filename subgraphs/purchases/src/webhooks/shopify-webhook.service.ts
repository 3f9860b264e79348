import type { Caller } from '@omo/lib/core/auth';
import { AppError } from '@omo/lib/core/errors';
import { membersContract } from '@omo/lib/contracts/members';
import { internalClient, ServiceUnavailableError, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import type { RefundDoc } from '../models/refund.model';
import type { StoreDoc } from '../models/store.model';
import { webhookDeliveryModel, type WebhookDeliveryDoc, type WebhookDeliveryModel, type WebhookDeliveryOutcome } from '../models/webhook-delivery.model';
import type { CouponQuotes } from '../services/coupon-quotes';
import type { PurchaseService } from '../services/purchase.service';
import { refundStateOf } from '../services/refund-amounts';
import type { RefundService } from '../services/refund.service';
import type { ShopifyDelivery } from './shopify-delivery';
import { mapShopifyCustomer } from './shopify-customer';
import { mapShopifyCancellation, mapShopifyOrder, type ShopifyCancellation, type ShopifyCustomerHints } from './shopify-order';
import { couponsOfOrder } from './shopify-order-coupons';
import { parseShopifyJson } from './shopify-payload';
import { ShopifyStores } from './shopify-stores';
import { mapShopifyRefund, refundRequest, type ShopifyRefund } from './shopify-refund';

export const ORDERS_CREATE = 'orders/create';
export const ORDERS_PAID = 'orders/paid';
export const ORDERS_UPDATED = 'orders/updated';
export const ORDERS_CANCELLED = 'orders/cancelled';
export const REFUNDS_CREATE = 'refunds/create';
export const CUSTOMERS_CREATE = 'customers/create';
export const CUSTOMERS_UPDATE = 'customers/update';
/** Every one carries the whole order; whichever first shows it paid records its purchase. */
const ORDER_TOPICS = new Set([ORDERS_CREATE, ORDERS_PAID, ORDERS_UPDATED]);

/** The purchases and refunds a webhook records are the Shopify integration's, at whichever ONLINE store it feeds. */
const SHOPIFY_CALLER: Caller = { kind: 'service', service: 'shopify' };
/** Each members lookup gets this much of Shopify's 5 s; the internal client's own 10 s timeout is too long here. */
const MEMBERS_TIMEOUT_MS = 1_500;

/** What carrying out an event came to, kept with its delivery. */
export interface Processed {
  outcome: WebhookDeliveryOutcome;
  reason?: string | null;
  purchaseId?: string | null;
  memberId?: string | null;
  awaiting?: WebhookDeliveryDoc['awaiting'];
}

/** A dependency is down or a purchase is not ready yet: the delivery fails and Shopify retries it. */
export class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

export interface ShopifyWebhookDeps {
  models: PurchasesModels;
  purchases: PurchaseService;
  refunds: RefundService;
  coupons: CouponQuotes;
  services: ServiceDirectory;
  internalSecret: string;
  logger: Logger;
  clock: () => Date;
}

/**
 * Carries out Shopify's order, cancellation and refund events as ONLINE purchases and refunds, and its customer
 * events through the members service, once their delivery holds the event (shopify-delivery.service.ts). The work
 * is idempotent (the purchase is keyed by the order id, the refund by the refund id, the member by the customer
 * id), because the Shopify headers are not covered by the signature: a
 * replayed body with fresh ids must change nothing either.
 */
export class ShopifyWebhookService {
  private readonly deliveries: WebhookDeliveryModel;
  private readonly stores: ShopifyStores;

  constructor(private readonly deps: ShopifyWebhookDeps) {
    // on the purchases connection, so ensureIndexes creates its index with the others at start-up
    this.deliveries = webhookDeliveryModel(deps.models.purchases.db);
    this.stores = new ShopifyStores(deps.models, deps.clock);
  }

  /**
   * Carries out one delivery's event. What it throws decides the answer (shopify-delivery.service.ts): a body that
   * cannot be recorded, or a refusal by the purchases service, is kept as ignored; anything else is retried.
   */
  async process(delivery: ShopifyDelivery, log: Logger): Promise<Processed> {
    if (ORDER_TOPICS.has(delivery.topic)) return this.recordOrder(delivery.store, parseShopifyJson(delivery.rawBody), log);
    switch (delivery.topic) {
      case ORDERS_CANCELLED:
        return this.recordCancellation(delivery.store, delivery.rawBody, log);
      case REFUNDS_CREATE:
        return this.recordRefund(delivery.store, delivery.rawBody, log);
      case CUSTOMERS_CREATE:
      case CUSTOMERS_UPDATE:
        return this.recordCustomer(delivery.store, delivery.rawBody, log);
      default:
        // a topic this app subscribed to by mistake: answering an error would only make Shopify resend it
        return { outcome: 'ignored', reason: `unsupported topic ${delivery.topic}` };
    }
  }

  /**
   * An order becomes a purchase once it is paid, so points are never earned on money not taken: a pending
   * (cash on delivery) order is acknowledged and waits for its orders/paid. A cancelled order is not recorded at
   * all, whether the body says so or its orders/cancelled was delivered first.
   */
  private async recordOrder(store: StoreDoc, payload: unknown, log: Logger): Promise<Processed> {
    const order = mapShopifyOrder(payload);
    const shopId = store._id.toHexString();
    // a replayed order keeps its first member match, even if a member has registered with its e-mail since
    let purchase = await this.stores.purchaseOf(store, order.externalId);
    let unmapped: string | null = null;
    let couponNote: string | null = null;
    if (!purchase) {
      const at = await this.stores.orderStore(store, order.externalId, order.posLocationId);
      unmapped = at.unmapped;
      const storeId = at.store._id.toHexString();
      if (at.unmapped) log.warn({ order: order.name, locationId: order.posLocationId }, at.unmapped);
      if (order.cancelled || (await this.cancellationWaiting(shopId, order.externalId))) {
        return { outcome: 'ignored', reason: `order ${order.name ?? order.orderId} was cancelled before it was recorded` };
      }
      if (!order.paid) {
        log.info({ order: order.name, financialStatus: order.financialStatus }, 'Shopify order not paid yet: recorded when it is');
        return { outcome: 'awaiting-payment', reason: `financial_status ${order.financialStatus ?? 'missing'}` };
      }
      const matched = await this.matchMember(order.customer, shopId);
      const used = await couponsOfOrder(this.deps.coupons, order, storeId, matched, log);
      if (used.refused.length) couponNote = `coupons a register would have refused: ${used.refused.map((r) => `${r.code} (${r.reason})`).join(', ')}`;
      try {
        purchase = await this.deps.purchases.record(
          SHOPIFY_CALLER,
          {
            idempotencyKey: order.idempotencyKey,
            storeId,
            memberId: used.memberId,
            externalId: order.externalId,
            lines: order.lines,
            discount: order.discount,
            total: order.total,
            occurredAt: order.occurredAt,
          },
          { coupons: used.coupons, unquoted: used.unquoted },
        );
      } catch (error) {
        // another delivery of the same order (a different event) got there first
        purchase = await this.deps.purchases.findByExternalId(storeId, order.externalId);
        if (!purchase) {
          if (error instanceof AppError && error.extensions.code === 'ALREADY_EXISTS') throw new RetryableError('The order is being recorded by another delivery');
          throw error;
        }
      }
      log.info({ order: order.name, purchaseId: purchase._id.toHexString(), member: purchase.memberId ? 'matched' : 'guest' }, 'Shopify order recorded');
    }
    await this.applyAwaiting(purchase, shopId, log);
    return { outcome: 'recorded', purchaseId: purchase._id.toHexString(), reason: [unmapped, couponNote].filter(Boolean).join('; ') || null };
  }

  /**
   * Members decides what a Shopify customer is (linked, matched or new, lib/contracts/members.ts): create and
   * update are the same call, so an update delivered before its create still finds or makes the member.
   */
  private async recordCustomer(store: StoreDoc, rawBody: Buffer, log: Logger): Promise<Processed> {
    const customer = mapShopifyCustomer(parseShopifyJson(rawBody), store._id.toHexString());
    const result = await this.members((members) => members.upsertOnlineCustomer(customer));
    if (result.conflicts.length) log.warn({ memberId: result.memberId, conflicts: result.conflicts }, 'Shopify customer contact held by another member: not applied');
    return {
      outcome: `member-${result.outcome}`,
      reason: result.conflicts.length ? `held by another member: ${result.conflicts.join(', ')}` : null,
      memberId: result.memberId,
    };
  }

  /**
   * A cancellation of an order without a purchase (never paid, or its payment not delivered yet) has nothing to
   * take back. It is kept, so that a payment Shopify delivers after it does not record the order.
   */
  private async recordCancellation(store: StoreDoc, rawBody: Buffer, log: Logger): Promise<Processed> {
    const cancellation = mapShopifyCancellation(parseShopifyJson(rawBody));
    const purchase = await this.stores.purchaseOf(store, cancellation.externalId);
    if (!purchase) {
      log.info({ order: cancellation.name }, 'cancellation of an order without a purchase: nothing to take back');
      return {
        outcome: 'ignored',
        reason: 'cancelled before it was recorded',
        awaiting: { orderExternalId: cancellation.externalId, body: rawBody.toString('utf8'), appliedAt: null },
      };
    }
    return this.applyCancellation(purchase, cancellation);
  }

  /**
   * Cancelling refunds whatever the purchase still has, through the refund path: earned points are taken back
   * and redeemed points returned. The units not refunded yet are named, so the purchase's lines show them returned.
   * Shopify also sends refunds/create for the money a cancellation pays back; whichever of the two comes second
   * finds nothing left to refund.
   */
  private async applyCancellation(purchase: PurchaseDoc, cancellation: ShopifyCancellation): Promise<Processed> {
    const purchaseId = purchase._id.toHexString();
    const done = await this.deps.refunds.refundRemaining(SHOPIFY_CALLER, purchase, cancellation.idempotencyKey);
    if (done === 'settling') throw new RetryableError('The purchase’s points are still being settled');
    return done === 'already' ? { outcome: 'cancelled', reason: 'already refunded in full', purchaseId } : { outcome: 'cancelled', purchaseId };
  }

  private async cancellationWaiting(storeId: string, orderExternalId: string): Promise<boolean> {
    const found = await this.deliveries.findOne({ storeId, topic: ORDERS_CANCELLED, 'awaiting.orderExternalId': orderExternalId }).lean<WebhookDeliveryDoc>().exec();
    return found !== null;
  }

  private async recordRefund(store: StoreDoc, rawBody: Buffer, log: Logger): Promise<Processed> {
    const refund = mapShopifyRefund(parseShopifyJson(rawBody));
    const purchase = await this.stores.purchaseOf(store, refund.orderExternalId);
    if (!purchase) {
      log.warn({ orderId: refund.orderId }, 'refund for an order without a purchase: kept until the order is recorded');
      return { outcome: 'awaiting-order', reason: 'no purchase for the order yet', awaiting: { orderExternalId: refund.orderExternalId, body: rawBody.toString('utf8'), appliedAt: null } };
    }
    return this.applyRefund(purchase, refund);
  }

  private async applyRefund(purchase: PurchaseDoc, refund: ShopifyRefund): Promise<Processed> {
    const purchaseId = purchase._id.toHexString();
    const refunds = await this.deps.models.refunds.find({ purchaseId }).lean<RefundDoc[]>().exec();
    // already recorded by an earlier delivery; recomputing it against the refunds since could ask for a different amount
    if (refunds.some((r) => r.idempotencyKey === refund.idempotencyKey)) return { outcome: 'refunded', purchaseId };
    // the purchases service refunds only settled purchases; its outbox settles this one shortly
    if (purchase.state === 'PENDING_POINTS') throw new RetryableError('The purchase’s points are still being settled');
    const state = refundStateOf(purchase, refunds);
    const refundable = purchase.total - state.refundedAmount;
    // a refund by units would still be recorded, for 0 yen, once a cancellation or an amount refund took everything;
    // of an order its coupons paid in full (total 0), a refund of units is what returns it
    if (state.fullyRefunded) return { outcome: 'ignored', reason: 'nothing left to refund', purchaseId };
    const request = refundRequest(refund, purchase.lines, refundable);
    if (request.kind === 'nothing') return { outcome: 'ignored', reason: 'nothing left to refund', purchaseId };
    await this.deps.refunds.refund(SHOPIFY_CALLER, {
      purchaseId,
      idempotencyKey: refund.idempotencyKey,
      ...(request.kind === 'lines' ? { lines: request.lines } : { amount: request.amount }),
    });
    return { outcome: 'refunded', purchaseId };
  }

  /**
   * Refunds and cancellations that arrived before this order's purchase. Best effort: a failure is logged and
   * leaves it waiting, visible in webhook_deliveries, rather than failing the order that was recorded.
   */
  private async applyAwaiting(purchase: PurchaseDoc, shopId: string, log: Logger): Promise<void> {
    // without an externalId the filter below would match every delivery that waits for nothing
    if (!purchase.externalId) return;
    const waiting = await this.deliveries
      .find({ storeId: shopId, 'awaiting.orderExternalId': purchase.externalId, 'awaiting.appliedAt': null })
      .lean<WebhookDeliveryDoc[]>()
      .exec();
    for (const delivery of waiting) {
      if (!delivery.awaiting) continue;
      try {
        const body = parseShopifyJson(Buffer.from(delivery.awaiting.body, 'utf8'));
        const result = delivery.topic === ORDERS_CANCELLED ? await this.applyCancellation(purchase, mapShopifyCancellation(body)) : await this.applyRefund(purchase, mapShopifyRefund(body));
        await this.deliveries.updateOne(
          { _id: delivery._id },
          { $set: { 'awaiting.appliedAt': this.deps.clock(), outcome: result.outcome, reason: result.reason ?? null, purchaseId: result.purchaseId ?? null } },
        );
      } catch (error) {
        log.error({ err: error, delivery: delivery._id }, 'a refund or cancellation waiting for this order could not be applied');
      }
    }
  }

  /**
   * A member id from a customer tag counts only if members knows it (a tag is typed by hand in Shopify's admin);
   * otherwise the member the shop's customer is linked to (customers/create), else the first active member with
   * the order's e-mail, else phone: a checkout's e-mail may be one the customer changed since, or another's.
   * No match: a guest purchase.
   */
  private async matchMember(customer: ShopifyCustomerHints, shopId: string): Promise<string | null> {
    if (customer.taggedMemberId) {
      const { existing } = await this.members((members) => members.exists({ ids: [customer.taggedMemberId!] }));
      if (existing.includes(customer.taggedMemberId)) return customer.taggedMemberId;
    }
    if (!customer.customerId && !customer.email && !customer.phone) return null;
    const { memberId } = await this.members((members) =>
      members.findByContact({ email: customer.email, phone: customer.phone, storeId: customer.customerId ? shopId : null, customerId: customer.customerId }),
    );
    return memberId;
  }

  private async members<T>(ask: (members: InternalClient<typeof membersContract>) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ServiceUnavailableError('members', `no answer within ${MEMBERS_TIMEOUT_MS} ms`)), MEMBERS_TIMEOUT_MS);
    });
    try {
      const call = ask(internalClient(membersContract, { directory: this.deps.services, internalSecret: this.deps.internalSecret, service: 'purchases' }));
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The order's delivery may have recorded its purchase and looked for what waits for it just before this was
   * stored as waiting; looking once more after storing it closes that gap (applying twice is harmless).
   */
  async recheckAwaitingOrder(store: StoreDoc, orderExternalId: string): Promise<void> {
    const purchase = await this.stores.purchaseOf(store, orderExternalId);
    if (purchase) await this.applyAwaiting(purchase, store._id.toHexString(), this.deps.logger.child({ webhook: 'shopify', storeId: store._id.toHexString() }));
  }
}
