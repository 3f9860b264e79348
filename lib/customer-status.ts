import type { Caller } from './auth';
import { UnauthenticatedError } from './errors';

/** Where a member's account is now: itself, or the member it was merged into; null when there is no such member. */
export type CurrentMemberLookup = (memberId: string) => Promise<{ memberId: string; status: string } | null>;

const MAX_CACHED = 10_000;

/**
 * What a customer's token means now. Tokens outlive changes to the membership: a withdrawn member's token is refused
 * (UNAUTHENTICATED, so the site signs them out), and a merged-away member's token acts as the member it was merged
 * into (staff merged the two because they are one person; their old login keeps working, as their old card does).
 * Answers are kept for CUSTOMER_STATUS_CACHE_SECONDS.
 */
export class CustomerStatus {
  private readonly cache = new Map<string, { current: { memberId: string; status: string } | null; expiresAt: number }>();

  constructor(
    private readonly lookup: CurrentMemberLookup,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(caller: Caller): Promise<Caller> {
    if (caller.kind !== 'customer') return caller;
    const current = await this.current(caller.memberId);
    // a token for no member at all has nothing to see, and registering is not the customer's to do: left as it is
    if (!current) return caller;
    if (current.status === 'WITHDRAWN') throw new UnauthenticatedError('This membership has been withdrawn', 401);
    return current.memberId === caller.memberId ? caller : { kind: 'customer', memberId: current.memberId };
  }

  private async current(memberId: string): Promise<{ memberId: string; status: string } | null> {
    const now = this.now();
    const cached = this.cache.get(memberId);
    if (cached && cached.expiresAt > now) return cached.current;
    const current = await this.lookup(memberId);
    if (this.cacheSeconds > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(memberId, { current, expiresAt: now + this.cacheSeconds * 1000 });
    }
    return current;
  }
}
