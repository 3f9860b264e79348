import type { CouponResolvers } from '../__generated__/resolvers-types';
import { onlineCodeView } from '../services/coupon-online.service';
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
  onlineCode: async (coupon, _args, { onlineCodeOutcomes }) => onlineCodeView(coupon, await onlineCodeOutcomes.load(coupon._id.toHexString())),
  usedAt: (coupon) => coupon.usedAt ?? null,
  purchaseId: (coupon) => coupon.purchaseId ?? null,
  restoreCouponOnRefund: (coupon) => coupon.restoreCouponOnRefund ?? false,
};
