import type { CouponResolvers } from '../__generated__/resolvers-types';
import { couponReadableBy } from '../services/coupon-access';

export const Coupon: CouponResolvers = {
  __resolveReference: async (reference, { caller, loaders }) => {
    const coupon = await loaders.couponById.load(reference.id);
    return coupon && couponReadableBy(caller, coupon);
  },
  id: (coupon) => coupon._id.toHexString(),
  barcodeValue: (coupon) => coupon.code,
  name: (coupon) => ({ ja: coupon.nameJa, en: coupon.nameEn }),
  endedAt: (coupon) => coupon.endedAt ?? null,
  usedAt: (coupon) => coupon.usedAt ?? null,
  purchaseId: (coupon) => coupon.purchaseId ?? null,
  restoreCouponOnRefund: (coupon) => coupon.restoreCouponOnRefund ?? false,
};
