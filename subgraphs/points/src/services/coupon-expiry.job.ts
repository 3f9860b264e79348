import type { Logger } from '@omo/lib/core/logger';
import type { CouponDoc, CouponModels } from '../models/coupon.model';
import type { CouponService } from './coupon.service';

/**
 * Ends every ISSUED coupon past its expiresAt as EXPIRED, its points given back, and finishes any whose end a run
 * claimed before it died. Safe to run twice or concurrently: each coupon's end is one unique insert, and the
 * give-back is keyed by the coupon, so only the run that claimed an end counts it and the points come back once.
 * Then it sweeps the units of redemptions that died before their coupon (CouponService.sweepUnits), so neither
 * stock nor a member's limit leaks.
 */
export class CouponExpiryJob {
  constructor(
    private readonly models: CouponModels,
    private readonly coupons: CouponService,
    private readonly logger: Logger,
  ) {}

  async run(now: Date): Promise<{ couponsChecked: number; couponsExpired: number; couponsIssued: number; unitsFreed: number }> {
    const due = await this.models.coupons.find({ state: 'ISSUED', expiresAt: { $lte: now } }).lean<CouponDoc[]>().exec();
    let couponsExpired = 0;
    for (const coupon of due) {
      try {
        if ((await this.coupons.end(coupon, 'EXPIRED', 'system')).claimed) couponsExpired += 1;
      } catch (error) {
        // one coupon that cannot finish (say its member was merged away) must not hold up the others; the next run retries
        this.logger.error({ err: error, couponId: coupon._id.toHexString() }, 'coupon expiry failed');
      }
    }
    const { issued, freed } = await this.coupons.sweepUnits(now);
    this.logger.info({ couponsChecked: due.length, couponsExpired, couponsIssued: issued, unitsFreed: freed }, 'coupon expiry run');
    return { couponsChecked: due.length, couponsExpired, couponsIssued: issued, unitsFreed: freed };
  }
}
