import type { CouponResolvers } from '../__generated__/resolvers-types';
import { onlineCodeView } from '../services/coupon-online.service';

export const Coupon: CouponResolvers = {
  id: (coupon) => coupon._id.toHexString(),
  barcodeValue: (coupon) => coupon.code,
  name: (coupon) => ({ ja: coupon.nameJa, en: coupon.nameEn }),
  endedAt: (coupon) => coupon.endedAt ?? null,
  onlineCode: async (coupon, _args, { onlineCodeOutcomes }) => onlineCodeView(coupon, await onlineCodeOutcomes.load(coupon._id.toHexString())),
};
