import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';
import { SmaregiUnavailableError } from '../smaregi-api';

/** Requests per second per contract: reads (GET) and writes (the rest, the token endpoint's POST among them). */
export interface SmaregiLimits {
  readsPerSecond: number;
  writesPerSecond: number;
}

/** Calls waiting for their turn beyond this are not queued: the caller is told to come back (its outbox retries). */
const MAX_WAITING = 500;
const QUEUE_FULL_RETRY_MS = 1_000;

/**
 * Paces each contract's calls under Smaregi's per-second limits (per contract and app, whatever the number of
 * stores; the common spec asks apps not to sit at the limit, and may refuse an app that often meets it). Each
 * kind of call is spaced evenly, one every 1/limit of a second (rate-limiter-flexible's queue over a one-call
 * window), so no second ever holds more than the limit, even across a window's edge. Per process: two purchases
 * processes share a contract's limit unknowingly (docs/smaregi-setup.md §6).
 */
export class SmaregiThrottle {
  private readonly reads: RateLimiterQueue;
  private readonly writes: RateLimiterQueue;

  constructor(limits: SmaregiLimits) {
    this.reads = SmaregiThrottle.queue(limits.readsPerSecond);
    this.writes = SmaregiThrottle.queue(limits.writesPerSecond);
  }

  /** The limits the reference quotes (UNCONFIRMED numbers): GET 10/s and writes 4/s in the sandbox, 50 and 20 in production. */
  static documented(env: 'sandbox' | 'production'): SmaregiLimits {
    return env === 'production' ? { readsPerSecond: 50, writesPerSecond: 20 } : { readsPerSecond: 10, writesPerSecond: 4 };
  }

  private static queue(perSecond: number): RateLimiterQueue {
    return new RateLimiterQueue(new RateLimiterMemory({ points: 1, duration: 1 / perSecond }), { maxQueueSize: MAX_WAITING });
  }

  /** Waits for the contract's next turn for this kind of call. */
  async take(contractId: string, method: string): Promise<void> {
    try {
      await (method === 'GET' ? this.reads : this.writes).removeTokens(1, contractId);
    } catch {
      throw new SmaregiUnavailableError(`Smaregi (${contractId}): more than ${MAX_WAITING} calls waiting for their turn`, null, QUEUE_FULL_RETRY_MS);
    }
  }
}
