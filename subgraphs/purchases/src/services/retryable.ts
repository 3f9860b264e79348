export { RETRIED_CODES, isRetryable } from '@omo/lib/server/internal-api';

/**
 * What is retried for this long (a service unreachable, 5xx, timeouts) then ends for staff rather than retrying for
 * ever: the outbox's back-off tops out at 10 minutes, so that is well over a hundred attempts, through any outage a
 * deploy or a restart causes. Shared by the points settlement and the Smaregi connector.
 */
export const GIVE_UP_MS = 24 * 3_600_000;
