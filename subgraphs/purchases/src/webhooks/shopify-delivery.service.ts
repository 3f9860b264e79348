import { createHash } from 'node:crypto';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AppError } from '@omo/lib/core/errors';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import type { PurchasesModels } from '../models';
import type { StoreDoc } from '../models/store.model';
import { webhookDeliveryModel, type WebhookDeliveryDoc, type WebhookDeliveryModel, type WebhookDeliveryOutcome } from '../models/webhook-delivery.model';
import { ShopifyPayloadError } from './shopify-payload';
import { RetryableError, type Processed, type ShopifyWebhookService } from './shopify-webhook.service';

/** Longer than any delivery may take (Shopify gives up after 5 s), so a live lease means a delivery still running. */
const LEASE_MS = 30_000;
/** Codes that mean two services do not trust each other (a secret out of step), not that the body is wrong: retried. */
const MISCONFIGURED = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** One verified delivery: its store, the Shopify headers and the raw body (parsed only once it is known to be Shopify's). */
export interface ShopifyDelivery {
  store: StoreDoc;
  topic: string;
  eventId: string | null;
  webhookId: string | null;
  triggeredAt: Date | null;
  rawBody: Buffer;
}

/**
 * What to answer Shopify. 200: done, or nothing a retry could change. 409: another delivery of the event is
 * running. 5xx: something we depend on is down or failed; Shopify retries the delivery.
 */
export type WebhookResult =
  | { status: 200; outcome: WebhookDeliveryOutcome | 'duplicate' }
  | { status: 409 | 500 | 503; error: string };

export interface ShopifyDeliveryDeps {
  models: PurchasesModels;
  /** Carries out the event of a delivery that holds it. */
  events: Pick<ShopifyWebhookService, 'process' | 'recheckAwaitingOrder'>;
  logger: Logger;
  clock: () => Date;
}

/**
 * Receives Shopify's deliveries: de-duplicates them by their event and webhook ids, lets one delivery of an event
 * at a time carry it out, and keeps what it came to. A delivery that fails is released, and Shopify's retry runs
 * the event again.
 */
export class ShopifyDeliveryService {
  private readonly deliveries: WebhookDeliveryModel;

  constructor(private readonly deps: ShopifyDeliveryDeps) {
    this.deliveries = webhookDeliveryModel(deps.models.purchases.db);
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
    if (claim !== 'claimed') {
      log.info({ claim }, 'duplicate delivery');
      return claim === 'processed' ? { status: 200, outcome: 'duplicate' } : { status: 409, error: 'This event is being processed by another delivery' };
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
        await this.deliveries.deleteOne({ _id: eventKey, processedAt: null }).catch(() => undefined);
        if (error instanceof RetryableError || error instanceof ServiceUnavailableError || error instanceof AppError) {
          log.warn({ err: error.message }, 'Shopify webhook failed; Shopify will retry it');
          return { status: 503, error: 'Temporarily unavailable' };
        }
        throw error;
      }
    }
    await this.complete(eventKey, webhookKey, delivery, processed);
    log.info({ outcome: processed.outcome, reason: processed.reason, purchaseId: processed.purchaseId }, 'Shopify webhook processed');
    return { status: 200, outcome: processed.outcome };
  }

  /**
   * The exclusive claim on an event is the insert of its id. A claim whose lease lapsed belongs to a delivery
   * that died; taking it over is a plain update, which FerretDB does not make exclusive, so two late retries
   * could both run: the work is idempotent, so that costs only time.
   */
  private async claim(key: string, delivery: ShopifyDelivery): Promise<'claimed' | 'processed' | 'busy'> {
    const now = this.deps.clock();
    const leaseUntil = new Date(now.getTime() + LEASE_MS);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await this.deliveries.create({
          _id: key,
          storeId: delivery.store._id.toHexString(),
          topic: delivery.topic,
          eventId: delivery.eventId,
          webhookId: delivery.webhookId,
          triggeredAt: delivery.triggeredAt,
          receivedAt: now,
          leaseUntil,
          processedAt: null,
          outcome: null,
          reason: null,
          purchaseId: null,
          awaiting: null,
        });
        return 'claimed';
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const holder = await this.deliveries.findById(key).lean<WebhookDeliveryDoc>().exec();
      if (!holder) continue; // released by a failed delivery in between: claim again
      if (holder.processedAt) return 'processed';
      if (holder.leaseUntil && holder.leaseUntil.getTime() > now.getTime()) return 'busy';
      await this.deliveries.updateOne({ _id: key, processedAt: null }, { $set: { leaseUntil, webhookId: delivery.webhookId, receivedAt: now } });
      return 'claimed';
    }
    return 'busy';
  }

  private async complete(eventKey: string, webhookKey: string | null, delivery: ShopifyDelivery, processed: Processed): Promise<void> {
    const now = this.deps.clock();
    const result = {
      processedAt: now,
      leaseUntil: null,
      outcome: processed.outcome,
      reason: processed.reason ?? null,
      purchaseId: processed.purchaseId ?? null,
      awaiting: processed.awaiting ?? null,
    };
    await this.deliveries.updateOne({ _id: eventKey }, { $set: result });
    if (webhookKey && webhookKey !== eventKey) {
      try {
        await this.deliveries.create({
          _id: webhookKey,
          storeId: delivery.store._id.toHexString(),
          topic: delivery.topic,
          eventId: delivery.eventId,
          webhookId: delivery.webhookId,
          triggeredAt: delivery.triggeredAt,
          receivedAt: now,
          ...result,
          // the event's document carries the waiting refund; one copy is enough
          awaiting: null,
        });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    if (processed.awaiting) await this.deps.events.recheckAwaitingOrder(delivery.store, processed.awaiting.orderExternalId);
  }
}
