import { webhookBodySchema } from './webhook-request';

test('a bulk event naming more than 1000 ids is read, not refused (only the 1 MB body bounds it)', () => {
  const customerIds = Array.from({ length: 1500 }, (_, i) => String(900_000 + i));
  const parsed = webhookBodySchema.safeParse({ contractId: 'sb_bulk0001', event: 'pos:customers', action: 'bulk-update', customerIds });
  expect(parsed.success && parsed.data.customerIds).toEqual(customerIds);
});
