import { Schema, type Connection, type Model } from 'mongoose';
import type { DeliveryMessage } from '../delivery/delivery-messages';

export type NotificationKind = 'TIER_UP' | 'POINTS_EXPIRING';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['TIER_UP', 'POINTS_EXPIRING'];

/** A notification rule as of one revision (revision 0: the default, never set by staff). */
export interface NotificationRuleState {
  kind: NotificationKind;
  enabled: boolean;
  messages: DeliveryMessage[];
  /**
   * What members whose LINE is in English get instead of `messages`; null: `messages`, as staff wrote them. The
   * default wording has its English; staff changing `messages` alone set this to null.
   */
  messagesEn: DeliveryMessage[] | null;
  /** POINTS_EXPIRING: how many days before the points expire; null for TIER_UP. */
  daysBefore: number | null;
  revision: number;
  /** When the rule was last turned on; null while it is off. What the jobs saw before then is out of date. */
  enabledAt: Date | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/**
 * One change to a rule with who made it and the whole state after it; `_id` is "<kind>:<revision>". The newest
 * revision is the rule. Taking the next revision is a unique insert, so of two concurrent changes one wins and the
 * other re-reads and tries again.
 */
export interface NotificationRuleRevisionDoc extends Omit<NotificationRuleState, 'messagesEn'> {
  _id: string;
  /** Absent in revisions written before rules had an English variant (notification-rules.service.ts reads them). */
  messagesEn?: DeliveryMessage[] | null;
}

/** The tier the line service last saw a linked member at, and when: a later, higher tier is a tier-up. */
export interface MemberTierDoc {
  _id: string;
  tier: string;
  seenAt: Date;
}

/** A member was told that points expire at `expiresAt` (in the delivery of `day`); `_id` is "<memberId>:<expiresAt ISO>". */
export interface ExpiryNoticeDoc {
  _id: string;
  memberId: string;
  expiresAt: Date;
  day: string;
  deliveryId: string;
}

/** The expiring-points run of one JST day (`_id`, "2030-01-10") is done: later runs that day do nothing. */
export interface ExpiryRunDoc {
  _id: string;
  at: Date;
  deliveryId: string | null;
  members: number;
}

const ruleRevisionSchema = new Schema<NotificationRuleRevisionDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true, enum: NOTIFICATION_KINDS },
    enabled: { type: Boolean, required: true },
    messages: { type: Schema.Types.Mixed, required: true },
    messagesEn: { type: Schema.Types.Mixed, default: undefined },
    daysBefore: { type: Number, default: null },
    revision: { type: Number, required: true },
    enabledAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
    updatedBy: { type: String, required: true },
  },
  { versionKey: false, minimize: false },
);
ruleRevisionSchema.index({ kind: 1, revision: -1 });

const memberTierSchema = new Schema<MemberTierDoc>(
  { _id: { type: String, required: true }, tier: { type: String, required: true }, seenAt: { type: Date, required: true } },
  { versionKey: false },
);

const expiryNoticeSchema = new Schema<ExpiryNoticeDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    day: { type: String, required: true },
    deliveryId: { type: String, required: true },
  },
  { versionKey: false },
);

const expiryRunSchema = new Schema<ExpiryRunDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    deliveryId: { type: String, default: null },
    members: { type: Number, required: true },
  },
  { versionKey: false },
);

export interface NotificationModels {
  rules: Model<NotificationRuleRevisionDoc>;
  memberTiers: Model<MemberTierDoc>;
  expiryNotices: Model<ExpiryNoticeDoc>;
  expiryRuns: Model<ExpiryRunDoc>;
}

export function notificationModels(connection: Connection): NotificationModels {
  return {
    rules: connection.model<NotificationRuleRevisionDoc>('LineNotificationRuleRevision', ruleRevisionSchema, 'line_notification_rule_revisions'),
    memberTiers: connection.model<MemberTierDoc>('LineMemberTier', memberTierSchema, 'line_member_tiers'),
    expiryNotices: connection.model<ExpiryNoticeDoc>('LineExpiryNotice', expiryNoticeSchema, 'line_expiry_notices'),
    expiryRuns: connection.model<ExpiryRunDoc>('LineExpiryRun', expiryRunSchema, 'line_expiry_runs'),
  };
}
