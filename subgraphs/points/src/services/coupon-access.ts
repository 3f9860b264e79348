import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { ForbiddenError } from '@omo/lib/core/errors';
import type { CouponDoc } from '../models/coupon.model';

/**
 * Who may read a coupon named by id (a purchase's coupons, through federation): the member who holds it, staff,
 * and a register at a store where it is valid. Its code is a bearer credential at the register: nobody else.
 */
export function couponReadableBy(caller: Caller, coupon: CouponDoc): CouponDoc {
  const who = requireAuthenticated(caller);
  if (who.kind === 'staff') return coupon;
  if (who.kind === 'customer' && who.memberId === coupon.memberId) return coupon;
  if (who.kind === 'pos' && coupon.storeIds.some((id) => who.storeIds.includes(id))) return coupon;
  throw new ForbiddenError('Not your coupon');
}

/** A member's coupon list: the member themself and staff (registers read one coupon by its code). */
export function assertCanListCoupons(caller: Caller, memberId: string): void {
  const who = requireAuthenticated(caller);
  if (who.kind === 'staff' || (who.kind === 'customer' && who.memberId === memberId)) return;
  throw new ForbiddenError("Only the member themself and staff see a member's coupons");
}
