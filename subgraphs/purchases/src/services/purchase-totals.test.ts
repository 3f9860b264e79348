import type { RecordInput } from './purchase-inputs';
import { totalsOf } from './purchase-totals';

const input = (change: Partial<RecordInput> = {}): RecordInput => ({
  idempotencyKey: 'k',
  storeId: '0123456789abcdef01234567',
  lines: [
    { sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2, category: 'tea' },
    { sku: 'CUP-01', name: '信楽焼 湯呑み', unitPrice: 3300, quantity: 1 },
  ],
  discount: 500,
  total: 5360,
  pointsToRedeem: 60,
  ...change,
});

describe('a purchase’s totals', () => {
  it('adds up the lines, takes the discount off and keeps the points to redeem', () => {
    expect(totalsOf(input())).toEqual({
      lines: [
        { sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2, category: 'tea' },
        { sku: 'CUP-01', name: '信楽焼 湯呑み', unitPrice: 3300, quantity: 1, category: null },
      ],
      subtotal: 5860,
      discount: 500,
      pointsApplied: 60,
    });
    expect(totalsOf(input({ discount: null, total: 5860, pointsToRedeem: undefined }))).toMatchObject({ discount: 0, pointsApplied: 0 });
  });

  it.each<[string, Partial<RecordInput>, string, string]>([
    ['a sku on two lines', { lines: [{ sku: 'A', name: 'a', unitPrice: 1, quantity: 1 }, { sku: 'A', name: 'b', unitPrice: 1, quantity: 1 }], discount: 0, total: 2, pointsToRedeem: 0 }, 'lines', 'Each sku may appear on one line only'],
    ['lines above the limit', { lines: [{ sku: 'G', name: 'g', unitPrice: 10_000_000, quantity: 101 }], discount: 10_000_000, total: 1_000_000_000, pointsToRedeem: 0 }, 'lines', 'The lines add up to 1010000000 yen, more than the 1000000000 a purchase may carry'],
    ['a discount above the subtotal', { discount: 5861, total: -1 }, 'discount', 'discount is more than the subtotal'],
    ['a total the lines do not make', { total: 5361 }, 'total', 'total 5361 does not match the lines: subtotal 5860 − discount 500 = 5360'],
    ['more points than the total', { pointsToRedeem: 5361 }, 'pointsToRedeem', 'pointsToRedeem is more than the total'],
  ])('refuses %s, naming the field', (_label, change, field, message) => {
    expect(() => totalsOf(input(change))).toThrow(message);
    try {
      totalsOf(input(change));
    } catch (error) {
      expect((error as { extensions: unknown }).extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    }
  });
});
