import { z } from 'zod';
import type { OnlineCustomer } from '@omo/lib/contracts/members';
import { readPayload, shopifyId } from './shopify-payload';

const text = z.string().nullish().transform((value) => value?.trim() || null);
const consent = z.object({ state: text }).nullish();

/**
 * The fields of a customers/create or customers/update body that members keeps (Admin REST Customer resource).
 * `email_marketing_consent` / `sms_marketing_consent` are absent from API version 2025-01 on (Shopify sends them in
 * their own topics since); they are read when present.
 */
const customerSchema = z.object({
  id: shopifyId,
  email: text,
  phone: text,
  first_name: text,
  last_name: text,
  state: text,
  updated_at: text,
  email_marketing_consent: consent,
  sms_marketing_consent: consent,
});

/** A Shopify customer as the members route takes it, for the ONLINE store whose shop sent it. */
export function mapShopifyCustomer(payload: unknown, storeId: string): OnlineCustomer {
  const customer = readPayload(customerSchema, payload, 'customer');
  return {
    storeId,
    customerId: customer.id,
    email: customer.email,
    phone: customer.phone,
    firstName: customer.first_name,
    lastName: customer.last_name,
    state: customer.state,
    emailMarketing: customer.email_marketing_consent?.state ?? null,
    smsMarketing: customer.sms_marketing_consent?.state ?? null,
    updatedAt: customer.updated_at,
  };
}
