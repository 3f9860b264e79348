import { LRUCache } from 'lru-cache';
import type { Caller } from '@omo/lib/core/auth';
import { AppError, UnauthenticatedError } from '@omo/lib/core/errors';

/** Where a member's account is now: itself, or the member it was merged into; null when there is no such member. */
export type CurrentMemberLookup = (memberId: string) => Promise<{ memberId: string; status: string } | null>;

const MAX_CACHED = 100_000;
type Current = { memberId: string; status: string } | null;

/**
 * What a customer's token means now. Tokens outlive changes to the membership: a withdrawn member's token is refused
 * (UNAUTHENTICATED, so the site signs them out), and a merged-away member's token acts as the member it was merged
 * into (staff merged the two because they are one person; their old login keeps working, as their old card does).
 * Answers are kept for CUSTOMER_STATUS_CACHE_SECONDS, and past it while members cannot be asked; with no answer at
 * all, the request is SERVICE_UNAVAILABLE (HTTP 503), never a sign-out.
 */
export class CustomerStatus {
  private readonly cache = new LRUCache<string, { current: Current; expiresAt: number }>({ max: MAX_CACHED });

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

  private async current(memberId: string): Promise<Current> {
    const now = this.now();
    const cached = this.cache.get(memberId);
    if (cached && cached.expiresAt > now) return cached.current;
    let current: Current;
    try {
      current = await this.lookup(memberId);
    } catch (error) {
      if (cached) return cached.current;
      if (error instanceof AppError) throw error;
      throw new AppError('Memberships cannot be checked right now; try again shortly', 'SERVICE_UNAVAILABLE', {}, 503);
    }
    this.cache.set(memberId, { current, expiresAt: now + this.cacheSeconds * 1000 });
    return current;
  }
}
