import type { StoreDoc } from '../models/store.model';

/** One verified delivery: its store, the Shopify headers and the raw body (parsed only once it is known to be Shopify's). */
export interface ShopifyDelivery {
  store: StoreDoc;
  topic: string;
  eventId: string | null;
  webhookId: string | null;
  triggeredAt: Date | null;
  rawBody: Buffer;
}
