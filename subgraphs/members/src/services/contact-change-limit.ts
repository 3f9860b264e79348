import { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { RateLimitedError } from '@omo/lib/core/errors';
import type { ContactChangeAttemptModel } from '../models/contact-change-attempt.model';

/**
 * Every contact change a member asks for, accepted or not, tells them whether that address or number is free: a
 * member trying addresses would learn whose they are. Counting them bounds that to a few guesses an hour.
 */
export const CONTACT_CHANGES_PER_WINDOW = 5;
export const CONTACT_CHANGE_WINDOW_MS = 60 * 60_000;

/** A sliding window per member over lib's attempt limiter (a unique insert per counted change). */
export class ContactChangeLimit {
  private readonly limiter: AttemptLimiter;

  constructor(attempts: ContactChangeAttemptModel, clock: () => Date) {
    this.limiter = new AttemptLimiter(attempts, clock);
  }

  /** Counts one contact change of the member, or throws RATE_LIMITED (counting nothing) with when to retry. */
  async take(memberId: string): Promise<void> {
    const limit = { key: memberId, limit: CONTACT_CHANGES_PER_WINDOW, windowMs: CONTACT_CHANGE_WINDOW_MS };
    if (await this.limiter.reserve(limit)) return;
    const retryAfterMs = await this.limiter.retryAfterMs(limit);
    throw new RateLimitedError('Too many contact changes; try again later', Math.ceil(retryAfterMs / 1000));
  }
}
