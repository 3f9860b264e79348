import { newCouponCode } from './coupon-code';

describe('coupon codes', () => {
  it('are 16 symbols of the unambiguous alphabet, and every symbol turns up', () => {
    const codes = Array.from({ length: 2000 }, () => newCouponCode());
    for (const code of codes) expect(code).toMatch(/^[2-9A-HJKMNP-Z]{16}$/);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(codes.join('')).size).toBe(31);
  });
});
