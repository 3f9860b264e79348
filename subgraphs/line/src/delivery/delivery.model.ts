import { Schema, type Connection, type Model } from 'mongoose';
import type { AudienceSpec } from './audience';
import type { DeliveryMessage } from './delivery-messages';

/**
 * A segmented message delivery. The documents written once by one exclusive insert are the truth: the delivery
 * (its `_id` derived from the idempotency key), its start (`line_delivery_starts`, the frozen recipient batches),
 * its cancellation, and one result per batch. Status and counters are derived from them on every read, so no
 * counter is ever updated in place; `open`, `dueAt`, `attempts` and `lastError` only steer the workers.
 */
export interface DeliveryDoc {
  _id: string;
  idempotencyKey: string;
  /** What was asked, so a replay of the key with a different request is refused. */
  requestDigest: string;
  audience: AudienceSpec;
  messages: DeliveryMessage[];
  personalised: boolean;
  dryRun: boolean;
  scheduledAt: Date | null;
  createdAt: Date;
  actor: string;
  /** A dry run's counts, taken when it was asked. */
  preview: { recipients: number; skippedBlocked: number; skippedNoConsent?: number } | null;
  /** Whether a worker still has something to do, and from when. */
  open: boolean;
  dueAt: Date;
  /** Failed attempts to resolve the audience. */
  attempts: number;
  lastError: string | null;
}

/** The exclusive claim of a start: which of the (possibly several, after a crash) frozen batch sets is the job. */
export interface DeliveryStartDoc {
  _id: string;
  freezeId: string;
  startedAt: Date;
  recipients: number;
  skippedBlocked: number;
  /** Members of a segment without marketing consent at the freeze; missing on starts written before consent was kept. */
  skippedNoConsent?: number;
  batches: number;
  /** Why the audience could not be resolved: the delivery FAILED without sending. */
  failure: string | null;
}

export interface DeliveryCancelDoc {
  _id: string;
  cancelledAt: Date;
  actor: string;
}

const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    requestDigest: { type: String, required: true },
    audience: { type: Schema.Types.Mixed, required: true },
    messages: { type: Schema.Types.Mixed, required: true },
    personalised: { type: Boolean, required: true },
    dryRun: { type: Boolean, required: true },
    scheduledAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    actor: { type: String, required: true },
    preview: { type: Schema.Types.Mixed, default: null },
    open: { type: Boolean, required: true },
    dueAt: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String, default: null },
  },
  { versionKey: false, minimize: false },
);
deliverySchema.index({ open: 1, dueAt: 1 });
deliverySchema.index({ createdAt: -1 });

const startSchema = new Schema<DeliveryStartDoc>(
  {
    _id: { type: String, required: true },
    freezeId: { type: String, required: true },
    startedAt: { type: Date, required: true },
    recipients: { type: Number, required: true },
    skippedBlocked: { type: Number, required: true },
    skippedNoConsent: { type: Number, default: 0 },
    batches: { type: Number, required: true },
    failure: { type: String, default: null },
  },
  { versionKey: false },
);

const cancelSchema = new Schema<DeliveryCancelDoc>(
  { _id: { type: String, required: true }, cancelledAt: { type: Date, required: true }, actor: { type: String, required: true } },
  { versionKey: false },
);

/** One multicast (or, personalised, one run of pushes) to at most 500 recipients, with its retry key(s). */
export interface BatchRecipient {
  memberId: string;
  lineUserId: string;
  /** A push's own retry key; null in a multicast batch, whose key is the batch's. */
  retryKey: string | null;
}

/** How far a personalised batch got: recipients before `next` are sent or failed, as counted. */
export interface BatchCheckpoint {
  next: number;
  sent: number;
  failed: number;
  reasons: string[];
}

export interface DeliveryBatchDoc {
  _id: string;
  deliveryId: string;
  freezeId: string;
  index: number;
  mode: 'multicast' | 'push';
  retryKey: string | null;
  recipients: BatchRecipient[];
  attempts: number;
  nextAttemptAt: Date;
  /** LINE keeps a retry key for 24 hours from its first use. */
  firstAttemptAt: Date | null;
  /**
   * A segment's batch: the members who had withdrawn their marketing consent when it was first attempted, written
   * with firstAttemptAt and never changed, so every resend under the batch's retry key(s) goes to the same users.
   * Null for notifications, and for batches first attempted before consent was kept.
   */
  withdrawn: string[] | null;
  lastError: string | null;
  checkpoint: BatchCheckpoint | null;
}

/** A batch's outcome, inserted once under the batch's id: the first recorder wins, and every recorder is truthful. */
export interface DeliveryResultDoc {
  _id: string;
  deliveryId: string;
  index: number;
  sent: number;
  failed: number;
  /** Recipients left out as `withdrawn`; missing on results recorded before consent was kept. */
  skippedNoConsent?: number;
  reason: string | null;
  at: Date;
}

const batchSchema = new Schema<DeliveryBatchDoc>(
  {
    _id: { type: String, required: true },
    deliveryId: { type: String, required: true },
    freezeId: { type: String, required: true },
    index: { type: Number, required: true },
    mode: { type: String, required: true, enum: ['multicast', 'push'] },
    retryKey: { type: String, default: null },
    recipients: {
      type: [new Schema<BatchRecipient>({ memberId: String, lineUserId: String, retryKey: { type: String, default: null } }, { _id: false })],
      required: true,
    },
    attempts: { type: Number, required: true, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    firstAttemptAt: { type: Date, default: null },
    withdrawn: { type: [String], default: null },
    lastError: { type: String, default: null },
    checkpoint: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, minimize: false },
);
batchSchema.index({ deliveryId: 1, freezeId: 1, index: 1 });

const resultSchema = new Schema<DeliveryResultDoc>(
  {
    _id: { type: String, required: true },
    deliveryId: { type: String, required: true },
    index: { type: Number, required: true },
    sent: { type: Number, required: true },
    failed: { type: Number, required: true },
    skippedNoConsent: { type: Number, default: 0 },
    reason: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
resultSchema.index({ deliveryId: 1 });

export interface DeliveryModels {
  deliveries: Model<DeliveryDoc>;
  starts: Model<DeliveryStartDoc>;
  cancels: Model<DeliveryCancelDoc>;
  batches: Model<DeliveryBatchDoc>;
  results: Model<DeliveryResultDoc>;
}

export function deliveryModels(connection: Connection): DeliveryModels {
  return {
    deliveries: connection.model<DeliveryDoc>('LineDelivery', deliverySchema, 'line_deliveries'),
    starts: connection.model<DeliveryStartDoc>('LineDeliveryStart', startSchema, 'line_delivery_starts'),
    cancels: connection.model<DeliveryCancelDoc>('LineDeliveryCancel', cancelSchema, 'line_delivery_cancels'),
    batches: connection.model<DeliveryBatchDoc>('LineDeliveryBatch', batchSchema, 'line_delivery_batches'),
    results: connection.model<DeliveryResultDoc>('LineDeliveryResult', resultSchema, 'line_delivery_results'),
  };
}
