import type { CouponResolvers } from '../__generated__/resolvers-types';

export const Coupon: CouponResolvers = {
  id: (coupon) => coupon._id.toHexString(),
  barcodeValue: (coupon) => coupon.code,
  name: (coupon) => ({ ja: coupon.nameJa, en: coupon.nameEn }),
  endedAt: (coupon) => coupon.endedAt ?? null,
};
