import { createHash } from 'node:crypto';
import { insertOnce, Leases, type Lease } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import type { PurchasesModels } from '../models';
import type { StoreDoc } from '../models/store.model';
import { webhookDeliveryModel, type WebhookDeliveryDoc, type WebhookDeliveryModel, type WebhookDeliveryOutcome } from '../models/webhook-delivery.model';
import type { ShopifyDelivery } from './shopify-delivery';
import { ShopifyPayloadError } from './shopify-payload';
import { RetryableError, type Processed, type ShopifyWebhookService } from './shopify-webhook.service';

/** Longer than any delivery may take (Shopify gives up after 5 s), so a live lease means a delivery still running. */
const LEASE_MS = 30_000;
/**
 * A hold with less than this left counts as over for releasing it: another process's clock may already see it
 * lapsed and take the event over, and the release itself takes a round trip.
 */
const RELEASE_MARGIN_MS = 5_000;
/** Codes that mean two services do not trust each other (a secret out of step), not that the body is wrong: retried. */
const MISCONFIGURED = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * What to answer Shopify. 200: done, or nothing a retry could change. 409: another delivery of the event is
 * running. 5xx: something we depend on is down or failed; Shopify retries the delivery.
 */
export type WebhookResult =
  | { status: 200; outcome: WebhookDeliveryOutcome | 'duplicate' }
  | { status: 409 | 500 | 503; error: string };

/**
 * A delivery's hold on its event: the insert of the event's document, or, when the delivery holding that died, a
 * takeover lease. `until`: when another delivery may take the event over.
 */
interface Hold {
  until: Date;
  lease: Lease | null;
}

type Claim = { state: 'claimed'; hold: Hold } | { state: 'processed' | 'busy' };

export interface ShopifyDeliveryDeps {
  models: PurchasesModels;
  /** Carries out the event of a delivery that holds it. */
  events: Pick<ShopifyWebhookService, 'process' | 'recheckAwaitingOrder'>;
  logger: Logger;
  clock: () => Date;
}

/**
 * Receives Shopify's deliveries: de-duplicates them by their event and webhook ids, lets one delivery of an event
 * at a time carry it out, and keeps what it came to. A delivery that fails frees the event while its hold lasts,
 * and Shopify's retry runs the event again; the event of one that died is taken over once its hold is over.
 */
export class ShopifyDeliveryService {
  private readonly deliveries: WebhookDeliveryModel;
  private readonly takeovers: Leases;

  constructor(private readonly deps: ShopifyDeliveryDeps) {
    // on the purchases connection, so ensureIndexes creates their indexes with the others at start-up
    this.deliveries = webhookDeliveryModel(deps.models.purchases.db);
    this.takeovers = new Leases(deps.models.purchases.db, { model: 'WebhookDeliveryLease', collection: 'webhook_delivery_leases' }, deps.clock, LEASE_MS);
  }

  /** The ONLINE store a shop's webhooks belong to; domains are compared lower-case, as Shopify sends them. */
  findStore(shopDomain: string): Promise<StoreDoc | null> {
    return this.deps.models.stores.findOne({ shopifyShopDomain: shopDomain.toLowerCase(), kind: 'ONLINE' }).lean<StoreDoc>().exec();
  }

  async receive(delivery: ShopifyDelivery): Promise<WebhookResult> {
    const storeId = delivery.store._id.toHexString();
    const log = this.deps.logger.child({ webhook: 'shopify', storeId, topic: delivery.topic, eventId: delivery.eventId, webhookId: delivery.webhookId });
    const webhookKey = delivery.webhookId ? `${storeId}:webhook:${delivery.webhookId}` : null;
    // Shopify always sends an event id; without one, the body itself is the event
    const eventKey = delivery.eventId
      ? `${storeId}:event:${delivery.eventId}`
      : `${storeId}:body:${createHash('sha256').update(delivery.rawBody).digest('hex')}`;

    const seen = await this.deliveries.find({ _id: { $in: webhookKey ? [eventKey, webhookKey] : [eventKey] } }).lean<WebhookDeliveryDoc[]>().exec();
    if (seen.some((d) => d.processedAt)) {
      log.info('duplicate delivery: already processed');
      return { status: 200, outcome: 'duplicate' };
    }
    const claim = await this.claim(eventKey, delivery);
    if (claim.state !== 'claimed') {
      log.info({ claim: claim.state }, 'duplicate delivery');
      return claim.state === 'processed' ? { status: 200, outcome: 'duplicate' } : { status: 409, error: 'This event is being processed by another delivery' };
    }

    let processed: Processed;
    try {
      processed = await this.deps.events.process(delivery, log);
    } catch (error) {
      if (error instanceof ShopifyPayloadError) {
        log.error({ reason: error.reason, err: error.message }, 'Shopify webhook ignored: its body cannot be recorded');
        processed = { outcome: 'ignored', reason: `${error.reason}: ${error.message}` };
      } else if (error instanceof AppError && !MISCONFIGURED.has(String(error.extensions.code))) {
        // the purchases service refused it for a reason a retry of the same body cannot change
        log.error({ code: error.extensions.code, err: error.message }, 'Shopify webhook ignored: refused by the purchases service');
        processed = { outcome: 'ignored', reason: `${String(error.extensions.code)}: ${error.message}` };
      } else {
        await this.release(eventKey, claim.hold).catch(() => undefined);
        if (error instanceof RetryableError || error instanceof ServiceUnavailableError || error instanceof AppError) {
          log.warn({ err: error.message }, 'Shopify webhook failed; Shopify will retry it');
          return { status: 503, error: 'Temporarily unavailable' };
        }
        throw error;
      }
    }
    await this.complete(eventKey, webhookKey, delivery, processed, claim.hold);
    log.info({ outcome: processed.outcome, reason: processed.reason, purchaseId: processed.purchaseId, memberId: processed.memberId }, 'Shopify webhook processed');
    return { status: 200, outcome: processed.outcome };
  }

  /**
   * The exclusive claim on an event is the insert of its document. A claim whose hold lapsed belongs to a
   * delivery that died; it is taken over by a lease on the event (a unique insert of its next generation, see
   * lib/core/claims.ts), so of several retries at once one runs it, and a taker that dies is taken over in turn.
   * During a rolling deploy a process of the previous version still takes over with a plain update, so a retry on
   * each side may run one event once each; the work is idempotent by order and refund id, so nothing doubles.
   */
  private async claim(key: string, delivery: ShopifyDelivery): Promise<Claim> {
    const now = this.deps.clock();
    const until = new Date(now.getTime() + LEASE_MS);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const claimed = await insertOnce(this.deliveries, {
        _id: key,
        ...aboutDelivery(delivery, now),
        leaseUntil: until,
        processedAt: null,
        outcome: null,
        reason: null,
        purchaseId: null,
        awaiting: null,
      });
      if (claimed) return { state: 'claimed', hold: { until, lease: null } };
      const holder = await this.deliveries.findById(key).lean<WebhookDeliveryDoc>().exec();
      if (!holder) continue; // released by a failed delivery in between: claim again
      if (holder.processedAt) return { state: 'processed' };
      if (holder.leaseUntil && holder.leaseUntil.getTime() > now.getTime()) return { state: 'busy' };
      const lease = await this.takeovers.acquire(key, delivery.webhookId ?? 'no webhook id');
      if (!lease) return { state: 'busy' };
      // only the lease's winner writes here; later deliveries then see the event busy from its document alone. The
      // document must still be the lapsed claim read above: a delivery that finished or freed the event in between
      // clears its leases, so this lease can be won after the event was done (or claimed afresh by a new delivery)
      const taken = await this.deliveries.updateOne(
        { _id: key, processedAt: null, leaseUntil: holder.leaseUntil },
        { $set: { leaseUntil: lease.expiresAt, webhookId: delivery.webhookId, receivedAt: now } },
      );
      if (taken.matchedCount === 1) return { state: 'claimed', hold: { until: lease.expiresAt, lease } };
      await this.takeovers.release(lease);
    }
    return { state: 'busy' };
  }

  /**
   * Frees the event for Shopify's retry, keeping nothing of this delivery; only while the hold has time left.
   * Once it is over, another delivery may have taken the event over, and freeing it would let a third in beside
   * that one: the event is left to lapse instead, and a later retry takes it over.
   */
  private async release(key: string, hold: Hold): Promise<void> {
    if (this.deps.clock().getTime() >= hold.until.getTime() - RELEASE_MARGIN_MS) return;
    if (hold.lease) await this.takeovers.clear(key);
    await this.deliveries.deleteOne({ _id: key, processedAt: null });
  }

  private async complete(eventKey: string, webhookKey: string | null, delivery: ShopifyDelivery, processed: Processed, hold: Hold): Promise<void> {
    const now = this.deps.clock();
    const result = {
      processedAt: now,
      leaseUntil: null,
      outcome: processed.outcome,
      reason: processed.reason ?? null,
      purchaseId: processed.purchaseId ?? null,
      memberId: processed.memberId ?? null,
      awaiting: processed.awaiting ?? null,
    };
    await this.deliveries.updateOne({ _id: eventKey }, { $set: result });
    // a done event's leases would otherwise stay: it is never claimed again
    if (hold.lease) await this.takeovers.clear(eventKey);
    if (webhookKey && webhookKey !== eventKey) {
      await insertOnce(this.deliveries, {
        _id: webhookKey,
        ...aboutDelivery(delivery, now),
        ...result,
        // the event's document carries the waiting refund; one copy is enough
        awaiting: null,
      });
    }
    if (processed.awaiting) await this.deps.events.recheckAwaitingOrder(delivery.store, processed.awaiting.orderExternalId);
  }
}

/** What each document kept of a delivery says about it. */
function aboutDelivery(delivery: ShopifyDelivery, receivedAt: Date) {
  return {
    storeId: delivery.store._id.toHexString(),
    topic: delivery.topic,
    eventId: delivery.eventId,
    webhookId: delivery.webhookId,
    triggeredAt: delivery.triggeredAt,
    receivedAt,
  };
}
