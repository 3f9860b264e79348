import express, { Router, type Request } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { verifyShopifyHmac } from './shopify-signature';
import { ShopifyDeliveryService, type WebhookResult } from './shopify-delivery.service';
import { ShopifyWebhookService, type ShopifyWebhookDeps } from './shopify-webhook.service';

/** Shopify counts a delivery as failed after 5 s; answering 503 before that keeps the log honest. */
const PROCESSING_BUDGET_MS = 4_000;

export const SHOPIFY_WEBHOOK_PATH = '/webhooks/shopify';

/**
 * POST /webhooks/shopify: every topic of every connected shop at one address, dispatched on X-Shopify-Topic
 * (orders/create, orders/paid, orders/updated, orders/cancelled, refunds/create, customers/create and
 * customers/update; other topics are acknowledged and ignored). The shop is found by
 * X-Shopify-Shop-Domain and the body must carry that shop's X-Shopify-Hmac-Sha256, checked on the raw bytes
 * before anything is parsed or written; otherwise 401.
 */
export function shopifyWebhookRoutes(deps: ShopifyWebhookDeps): Router {
  const service = new ShopifyDeliveryService({ models: deps.models, events: new ShopifyWebhookService(deps), logger: deps.logger, clock: deps.clock });
  const router = Router();
  // every body is read raw, even one without a Content-Type: the signature, not the header, decides what is accepted
  router.post(SHOPIFY_WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const shopDomain = header(req, 'x-shopify-shop-domain')?.toLowerCase();
    const signature = header(req, 'x-shopify-hmac-sha256');
    const store = shopDomain && signature ? await service.findStore(shopDomain) : null;
    if (!store?.shopifyWebhookSecret || !verifyShopifyHmac(rawBody, signature, store.shopifyWebhookSecret)) {
      // one answer for an unknown shop and a bad signature, so the route does not tell which shops exist
      const reason = !signature ? 'no signature' : !store?.shopifyWebhookSecret ? 'no connected shop with this domain' : 'wrong signature';
      deps.logger.warn({ webhook: 'shopify', shopDomain, reason }, 'Shopify webhook refused: not signed by a connected shop');
      return void res.status(401).json({ error: 'Unauthorized' });
    }
    const triggeredAt = new Date(header(req, 'x-shopify-triggered-at') ?? '');
    const work = service.receive({
      store,
      topic: header(req, 'x-shopify-topic') ?? '',
      eventId: header(req, 'x-shopify-event-id') ?? null,
      webhookId: header(req, 'x-shopify-webhook-id') ?? null,
      triggeredAt: Number.isNaN(triggeredAt.getTime()) ? null : triggeredAt,
      rawBody,
    });
    const result = await withinBudget(work, deps.logger);
    res.status(result.status).json('error' in result ? { error: result.error } : { outcome: result.outcome });
  });
  return router;
}

/**
 * The work goes on after the budget runs out (its claim keeps a retry from running it twice at once, and a
 * retry after it finished is a duplicate); only the answer is given early.
 */
async function withinBudget(work: Promise<WebhookResult>, logger: Logger): Promise<WebhookResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<WebhookResult>((resolve) => {
    timer = setTimeout(() => resolve({ status: 503, error: 'Still processing' }), PROCESSING_BUDGET_MS);
  });
  const guarded = work.catch((error: unknown): WebhookResult => {
    logger.error({ err: error, webhook: 'shopify' }, 'Shopify webhook failed');
    return { status: 500, error: 'Internal server error' };
  });
  try {
    return await Promise.race([guarded, late]);
  } finally {
    clearTimeout(timer);
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}
