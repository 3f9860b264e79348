import { Router } from 'express';
import type { BackgroundTask } from '@omo/lib/server/background';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import { SmaregiClient } from './client/smaregi-client';
import { SmaregiContracts } from './contracts';
import { smaregiCustomerLinkModel } from './customers/customer-link.model';
import { CustomerSync } from './customers/customer-sync';
import type { SmaregiDeps } from './deps';
import { BalanceMirror } from './mirror/balance-mirror';
import type { SmaregiApi } from './smaregi-api';
import { SmaregiWebhooks } from './webhook/smaregi-webhook';

export interface SmaregiConnector {
  /** Whether any contract is configured. */
  enabled: boolean;
  mirror: BalanceMirror;
  customers: CustomerSync;
  webhooks: SmaregiWebhooks;
  /** Merged into the purchases outbox's handlers. */
  outboxHandlers: Record<string, OutboxHandler>;
  /** POST /webhooks/smaregi and the bulk callback. */
  routes: Router;
  background: BackgroundTask[];
}

/**
 * The Smaregi connector (docs/smaregi-setup.md), inside the purchases service beside its Shopify code: webhooks in
 * (webhook/), register customers as members and members as customers (customers/), our balance back to Smaregi
 * (mirror/), all through the Smaregi API client (client/).
 */
export function buildSmaregiConnector(deps: Omit<SmaregiDeps, 'contracts' | 'api' | 'links'> & { api?: SmaregiApi }): SmaregiConnector {
  const full: SmaregiDeps = {
    ...deps,
    contracts: SmaregiContracts.fromConfig(deps.config),
    api: deps.api ?? new SmaregiClient(deps.config, deps.clock, deps.logger),
    links: smaregiCustomerLinkModel(deps.connection),
  };
  const mirror = new BalanceMirror(full);
  const customers = new CustomerSync(full, mirror);
  const webhooks = new SmaregiWebhooks(full, customers, mirror);
  return {
    enabled: full.contracts.enabled,
    mirror,
    customers,
    webhooks,
    outboxHandlers: { ...mirror.handlers(), ...webhooks.handlers() },
    routes: Router().use(webhooks.routes(), mirror.routes()),
    background: full.contracts.enabled ? mirror.background() : [],
  };
}
