import { AppError } from '@omo/lib/core/errors';

/**
 * What is retried for this long (a service unreachable, 5xx, timeouts) then ends for staff rather than retrying for
 * ever: the outbox's back-off tops out at 10 minutes, so that is well over a hundred attempts, through any outage a
 * deploy or a restart causes. Shared by the points settlement and the Smaregi connector.
 */
export const GIVE_UP_MS = 24 * 3_600_000;

/** Codes that mean two of our services do not trust each other (a secret out of step) or one is down, not that the request is wrong. */
export const RETRIED_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'SERVICE_UNAVAILABLE']);

/** Whether another attempt may succeed: anything but an AppError whose code says the request itself is refused. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof AppError) || RETRIED_CODES.has(String(error.extensions.code));
}
