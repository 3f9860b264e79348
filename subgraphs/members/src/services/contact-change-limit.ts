import { isDuplicateKeyError } from '@omo/lib/db';
import { RateLimitedError } from '@omo/lib/errors';
import type { ContactChangeAttemptModel } from '../models/contact-change-attempt.model';

/**
 * Every contact change a member asks for, accepted or not, tells them whether that address or number is free: a
 * member trying addresses would learn whose they are. Counting them bounds that to a few guesses an hour.
 */
export const CONTACT_CHANGES_PER_WINDOW = 5;
export const CONTACT_CHANGE_WINDOW_MS = 60 * 60_000;
/** Contention on one member is itself a sign of a script: after this many lost races the change is refused. */
const MAX_RACES = 5;

/**
 * A sliding window: a change first takes the member's next sequence number by a unique insert, and is refused
 * while the CONTACT_CHANGES_PER_WINDOW-th most recent one is still inside the window.
 */
export class ContactChangeLimit {
  constructor(
    private readonly attempts: ContactChangeAttemptModel,
    private readonly clock: () => Date,
  ) {}

  /** Counts one contact change of the member, or throws RATE_LIMITED (counting nothing) with when to retry. */
  async take(memberId: string): Promise<void> {
    let retryAfterMs = CONTACT_CHANGE_WINDOW_MS;
    for (let race = 0; race < MAX_RACES; race += 1) {
      const now = this.clock();
      const since = new Date(now.getTime() - CONTACT_CHANGE_WINDOW_MS);
      const recent = await this.attempts.find({ memberId }).sort({ seq: -1 }).limit(CONTACT_CHANGES_PER_WINDOW).lean().exec();
      const oldest = recent[CONTACT_CHANGES_PER_WINDOW - 1];
      if (oldest && oldest.at > since) {
        retryAfterMs = oldest.at.getTime() - since.getTime();
        break;
      }
      // changes older than the window no longer count; dropping them keeps each member's history short
      if (oldest) await this.attempts.deleteMany({ memberId, at: { $lte: since } }).exec();
      const seq = (recent[0]?.seq ?? 0) + 1;
      try {
        await this.attempts.create({ _id: `${memberId}#${seq}`, memberId, seq, at: now });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    throw new RateLimitedError('Too many contact changes; try again later', Math.ceil(retryAfterMs / 1000));
  }
}
