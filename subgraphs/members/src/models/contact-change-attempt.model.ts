import type { Connection } from 'mongoose';
import { attemptModel, type AttemptModel } from '@omo/lib/core/attempt-limiter';

/** The e-mail and phone changes members asked for, counted under ContactChangeLimit. */
export type ContactChangeAttemptModel = AttemptModel;

export function contactChangeAttemptModel(connection: Connection): ContactChangeAttemptModel {
  return attemptModel(connection, 'ContactChangeAttempt', 'member_contact_change_attempts');
}
