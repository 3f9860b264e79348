import type { Connection } from 'mongoose';
import { attemptModel, type AttemptModel } from '@omo/lib/core/attempt-limiter';

/** Attempts under the linking limits (a link token, a LINE user, an IP address, a member issuing codes). */
export function linkAttemptModel(connection: Connection): AttemptModel {
  return attemptModel(connection, 'LinkAttempt', 'line_link_attempts');
}
