import type { Connection } from 'mongoose';
import type { AppConfig } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { PurchasesModels } from '../models';
import type { MembersClient } from '../services/members.client';
import type { PurchaseService } from '../services/purchase.service';
import type { RefundService } from '../services/refund.service';
import type { StoreService } from '../services/store.service';
import type { SmaregiContracts } from './contracts';
import type { SmaregiCustomerLinkModel } from './customers/customer-link.model';
import type { SmaregiApi } from './smaregi-api';

/** What every part of the Smaregi connector is built from (index.ts). Each part makes its own models on `connection`. */
export interface SmaregiDeps {
  config: AppConfig;
  connection: Connection;
  contracts: SmaregiContracts;
  api: SmaregiApi;
  links: SmaregiCustomerLinkModel;
  models: PurchasesModels;
  purchases: PurchaseService;
  refunds: RefundService;
  stores: StoreService;
  members: MembersClient;
  services: ServiceDirectory;
  internalSecret: string;
  logger: Logger;
  clock: () => Date;
  /** The purchases outbox (made after the handlers it runs, hence late). */
  outbox: () => Outbox;
}
