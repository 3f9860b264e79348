import { Schema, type Connection, type Model } from 'mongoose';

/**
 * What became of a Smaregi webhook event, for staff (`smaregiEvents`). RECEIVED: queued, not carried out yet (or
 * waiting: points still settling, Smaregi or members unreachable; `reason` says which). The others are final.
 */
export const SMAREGI_EVENT_OUTCOMES = [
  'RECEIVED',
  'RECORDED',
  'OVERDRAWN',
  'REFUNDED',
  'DUPLICATE',
  'EDITED_IGNORED',
  'IGNORED',
  'UNMATCHED',
  'FAILED',
  'CUSTOMERS_APPLIED',
] as const;
export type SmaregiEventOutcome = (typeof SMAREGI_EVENT_OUTCOMES)[number];

/**
 * One entry of the connector's event log (`smaregi_event_log`): one per transaction a `pos:transactions` event
 * names (`<contractId>:<eventId>:tx:<transactionHeadId>`), one per customer a `pos:customers` event names
 * (`...:customer:<customerId>`; `...:customers` for one naming none), one per other event (`...:event`). Written by the event's outbox item, which a second worker may run at the same time
 * (its lease taken over from a slow attempt): a final outcome is decided by a unique insert into
 * `smaregi_event_outcomes` (SmaregiEventOutcomeDoc) and this entry is a copy of it, so a late worker's "waiting" can
 * never stand over it. The durable record and dedupe of the event itself is that outbox item.
 */
export interface SmaregiEventLogDoc {
  _id: string;
  contractId: string;
  eventId: string;
  event: string;
  action: string | null;
  transactionHeadId: string | null;
  customerIds: string[];
  outcome: SmaregiEventOutcome;
  reason: string | null;
  purchaseId: string | null;
  /** A Smaregi sale that spent more points than the member had: the points now owed (docs/smaregi-setup.md §3). */
  pointsOverdrawn: number;
  receivedAt: Date;
  updatedAt: Date;
}

const eventLogSchema = new Schema<SmaregiEventLogDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    eventId: { type: String, required: true },
    event: { type: String, required: true },
    action: { type: String, default: null },
    transactionHeadId: { type: String, default: null },
    customerIds: { type: [String], default: [] },
    outcome: { type: String, required: true, enum: SMAREGI_EVENT_OUTCOMES },
    reason: { type: String, default: null },
    purchaseId: { type: String, default: null },
    pointsOverdrawn: { type: Number, default: 0 },
    receivedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
eventLogSchema.index({ receivedAt: -1, _id: -1 });
eventLogSchema.index({ outcome: 1, receivedAt: -1 });

/**
 * An entry's final outcome, `_id` the entry's: the first insert decides (FerretDB's conditional updates are not
 * atomic, a unique insert is), every later attempt reads it, and the entry is set to it after.
 */
export type SmaregiEventOutcomeDoc = Pick<SmaregiEventLogDoc, '_id' | 'outcome' | 'reason' | 'purchaseId' | 'pointsOverdrawn'> & { decidedAt: Date };

const eventOutcomeSchema = new Schema<SmaregiEventOutcomeDoc>(
  {
    _id: { type: String, required: true },
    outcome: { type: String, required: true, enum: SMAREGI_EVENT_OUTCOMES },
    reason: { type: String, default: null },
    purchaseId: { type: String, default: null },
    pointsOverdrawn: { type: Number, default: 0 },
    decidedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type SmaregiEventLogModel = Model<SmaregiEventLogDoc>;
export type SmaregiEventOutcomeModel = Model<SmaregiEventOutcomeDoc>;

export function smaregiEventOutcomeModel(connection: Connection): SmaregiEventOutcomeModel {
  return connection.model<SmaregiEventOutcomeDoc>('SmaregiEventOutcome', eventOutcomeSchema, 'smaregi_event_outcomes');
}

export function smaregiEventLogModel(connection: Connection): SmaregiEventLogModel {
  return connection.model<SmaregiEventLogDoc>('SmaregiEventLog', eventLogSchema, 'smaregi_event_log');
}
