import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Caller } from '@omo/lib/core/auth';
import type { AppConfig } from '@omo/lib/core/config';

export type RateLimitConfig = Pick<
  AppConfig,
  'RATE_LIMIT_POS_PER_MINUTE' | 'RATE_LIMIT_CUSTOMER_PER_MINUTE' | 'RATE_LIMIT_STAFF_PER_MINUTE' | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE'
>;

type Bucket = 'pos' | 'customer' | 'staff' | 'anonymous';

/** Whose allowance a request spends: each POS key, customer and staff member its own; anonymous callers by address. */
function bucketOf(caller: Caller | undefined, address: string): { bucket: Bucket; key: string } {
  switch (caller?.kind) {
    case 'pos':
      return { bucket: 'pos', key: caller.keyId };
    case 'customer':
      return { bucket: 'customer', key: caller.memberId };
    case 'staff':
      return { bucket: 'staff', key: caller.staffId };
    default:
      return { bucket: 'anonymous', key: address };
  }
}

/**
 * Requests per minute per caller (rate-limiter-flexible, in this process's memory: with several gateway instances
 * each allows the limit, or swap in its Redis or Mongo store). Over the limit: HTTP 429 with Retry-After and a
 * GraphQL-shaped RATE_LIMITED error. Runs after authentication; a request whose credential was refused spends its
 * address's anonymous allowance, so guessing tokens or keys is limited too.
 */
export function rateLimit(config: RateLimitConfig, callerOfRequest: (res: Parameters<RequestHandler>[1]) => Caller | undefined): RequestHandler {
  const limiter = (points: number) => new RateLimiterMemory({ points, duration: 60 });
  const limiters: Record<Bucket, RateLimiterMemory> = {
    pos: limiter(config.RATE_LIMIT_POS_PER_MINUTE),
    customer: limiter(config.RATE_LIMIT_CUSTOMER_PER_MINUTE),
    staff: limiter(config.RATE_LIMIT_STAFF_PER_MINUTE),
    anonymous: limiter(config.RATE_LIMIT_ANONYMOUS_PER_MINUTE),
  };
  return (req, res, next) => {
    const { bucket, key } = bucketOf(callerOfRequest(res), req.ip ?? 'unknown');
    limiters[bucket].consume(key).then(
      () => next(),
      (refusal: unknown) => {
        if (!(refusal instanceof RateLimiterRes)) return next(refusal);
        const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
        res
          .status(429)
          .set('retry-after', String(retryAfter))
          .json({ errors: [{ message: 'Too many requests; try again later', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter } }] });
      },
    );
  };
}
