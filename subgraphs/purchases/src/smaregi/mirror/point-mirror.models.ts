import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One balance points reported for one Smaregi customer (`smaregi_point_marks`), `_id` `<link>:<seq>:<asOfMs>`, so
 * a mark delivered twice is one and marks arriving in any order are all kept; the newest (by seq, then asOf) is
 * what the customer's point field should say. Only marks older than one confirmed in Smaregi are deleted.
 */
export interface PointMarkDoc {
  _id: string;
  /** The customer link's id, `<contractId>:<customerId>` (smaregi_customers). */
  linkId: string;
  contractId: string;
  customerId: string;
  memberId: string;
  seq: number;
  asOf: Date;
  /** Our balance then; may be negative (points owed), Smaregi is sent max(0, balance). */
  balance: number;
  receivedAt: Date;
}

export type PushState = 'PUSHED' | 'RETRYING' | 'REFUSED';

/** A mark as it went to Smaregi. */
export interface PushedMark {
  seq: number;
  asOf: Date;
  balance: number;
  /** What the point field was set to. */
  point: number;
  at: Date;
}

/**
 * What the mirror last did for one customer (`smaregi_point_pushes`, `_id` the link's id), for staff and to skip a
 * push that would change nothing. Only the push handler writes it; two pushes of one customer at once may write it
 * in either order, so it is never what keeps Smaregi right (each push's own check after its PATCH is, see
 * point-push.ts), only a record. REFUSED: Smaregi refused the update for a reason asking again cannot change (the
 * customer deleted there, a plan without points); kept with Smaregi's words until a later mark pushes again.
 */
export interface PointPushDoc {
  _id: string;
  contractId: string;
  customerId: string;
  memberId: string;
  state: PushState;
  pushed: PushedMark | null;
  /** Why the last attempt did not set the field (RETRYING, REFUSED), in Smaregi's words where it gave some. */
  reason: string | null;
  /** Smaregi's HTTP status for that, if it answered. */
  status: number | null;
  /**
   * When the record last went RETRYING from another state (or none); null in any other state. updatedAt moves at
   * every attempt, so this is what says how long the customer has been out of step. Absent on records from before it.
   */
  retryingSince?: Date | null;
  updatedAt: Date;
}

const markSchema = new Schema<PointMarkDoc>(
  {
    _id: { type: String, required: true },
    linkId: { type: String, required: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    memberId: { type: String, required: true },
    seq: { type: Number, required: true },
    asOf: { type: Date, required: true },
    balance: { type: Number, required: true },
    receivedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
markSchema.index({ linkId: 1, seq: -1, asOf: -1 });

const pushedSchema = new Schema<PushedMark>(
  { seq: Number, asOf: Date, balance: Number, point: Number, at: Date },
  { _id: false, versionKey: false },
);

const pushSchema = new Schema<PointPushDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    memberId: { type: String, required: true },
    state: { type: String, required: true, enum: ['PUSHED', 'RETRYING', 'REFUSED'] },
    pushed: { type: pushedSchema, default: null },
    reason: { type: String, default: null },
    status: { type: Number, default: null },
    retryingSince: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
pushSchema.index({ contractId: 1, state: 1 });
pushSchema.index({ memberId: 1 });

/** A customer's newest mark as one bulk update carried it. */
export interface BulkItem {
  linkId: string;
  customerId: string;
  memberId: string;
  seq: number;
  asOf: Date;
  balance: number;
  point: number;
}

/**
 * One bulk point update sent to catch a contract up (`smaregi_point_bulks`), `_id` the unguessable token its callback
 * URL carries. SENDING: written before the request (a process dying in between leaves it to expire); SENT: Smaregi
 * took it (its requestId); CONFIRMED: its callback came; EXPIRED: none came in time, its customers pushed one by one;
 * FAILED: Smaregi did not take it.
 */
export interface PointBulkDoc {
  _id: string;
  contractId: string;
  state: 'SENDING' | 'SENT' | 'CONFIRMED' | 'EXPIRED' | 'FAILED';
  requestId: string | null;
  /** The links it carries, for the lookup "is this customer in a bulk now". */
  linkIds: string[];
  items: BulkItem[];
  sentAt: Date;
  confirmedAt: Date | null;
  reason: string | null;
}

const bulkItemSchema = new Schema<BulkItem>(
  { linkId: String, customerId: String, memberId: String, seq: Number, asOf: Date, balance: Number, point: Number },
  { _id: false, versionKey: false },
);

const bulkSchema = new Schema<PointBulkDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    state: { type: String, required: true, enum: ['SENDING', 'SENT', 'CONFIRMED', 'EXPIRED', 'FAILED'] },
    requestId: { type: String, default: null },
    linkIds: { type: [String], required: true },
    items: { type: [bulkItemSchema], required: true },
    sentAt: { type: Date, required: true },
    confirmedAt: { type: Date, default: null },
    reason: { type: String, default: null },
  },
  { versionKey: false },
);
bulkSchema.index({ contractId: 1, state: 1 });
bulkSchema.index({ linkIds: 1 });

export interface PointMirrorModels {
  marks: Model<PointMarkDoc>;
  pushes: Model<PointPushDoc>;
  bulks: Model<PointBulkDoc>;
}

export function pointMirrorModels(connection: Connection): PointMirrorModels {
  return {
    marks: connection.model<PointMarkDoc>('SmaregiPointMark', markSchema, 'smaregi_point_marks'),
    pushes: connection.model<PointPushDoc>('SmaregiPointPush', pushSchema, 'smaregi_point_pushes'),
    bulks: connection.model<PointBulkDoc>('SmaregiPointBulk', bulkSchema, 'smaregi_point_bulks'),
  };
}

/** Whether mark a is newer than b: a later ledger seq, or at one seq a later reading (pending points matured). */
export function isNewer(a: { seq: number; asOf: Date }, b: { seq: number; asOf: Date } | null): boolean {
  if (!b) return true;
  return a.seq !== b.seq ? a.seq > b.seq : a.asOf.getTime() > b.asOf.getTime();
}

export function markId(linkId: string, seq: number, asOf: Date): string {
  return `${linkId}:${seq}:${asOf.getTime()}`;
}
