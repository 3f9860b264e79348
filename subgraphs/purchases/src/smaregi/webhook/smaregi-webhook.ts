import { Router } from 'express';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import type { SmaregiDeps } from '../deps';
import type { CustomerSync } from '../customers/customer-sync';

/**
 * Webhooks in and register sales as purchases (stub: issue 17, part B): POST /webhooks/smaregi authenticated by the
 * app's secret header and a configured contract id, the event recorded and deduped by smaregi-event-id before the
 * 200, then carried out from the outbox: pos:transactions become purchases and refunds, pos:customers go to the
 * customer sync.
 */
export class SmaregiWebhooks {
  constructor(
    private readonly deps: SmaregiDeps,
    private readonly customers: CustomerSync,
  ) {}

  routes(): Router {
    return Router();
  }

  handlers(): Record<string, OutboxHandler> {
    return {};
  }
}
