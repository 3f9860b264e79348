import { candidateCodes } from './online-coupons';

describe('the discount codes of an online order that could be coupons', () => {
  it('keeps each code once, as points reads it, with the yen it took off, and at most as many as a purchase takes', () => {
    expect(candidateCodes([
      { code: 'k7pq2m9xw4rt8hnb', discount: 500 },
      { code: ' K7PQ2M9XW4RT8HNB', discount: 500 },
      { code: 'WELCOME500', discount: 300 },
      { code: 'FREE', discount: 0 },
    ])).toEqual([
      { code: 'K7PQ2M9XW4RT8HNB', discount: 500 },
      { code: 'WELCOME500', discount: 300 },
    ]);
    expect(candidateCodes(Array.from({ length: 7 }, (_, i) => ({ code: `CODE${i}`, discount: 100 })))).toHaveLength(5);
    expect(candidateCodes([{ code: 'X'.repeat(41), discount: 100 }])).toEqual([]);
  });
});
