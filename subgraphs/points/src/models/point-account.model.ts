import { Schema, type Connection, type Model } from 'mongoose';
import type { Lot } from './ledger-entry.model';

/**
 * A copy of a member's head ledger state, for reading many accounts in one query. It may lag the ledger (it is
 * written after the entry, and FerretDB's conditional update is not atomic), so readers top it up with any newer
 * entries; the ledger stays the truth.
 */
export interface PointAccountDoc {
  _id: string;
  seq: number;
  lots: Lot[];
  debt: number;
  lifetimeEarned: number;
  lastPurchaseAt?: Date | null;
  balance: number;
  /** Set from the entry the snapshot copies: the survivor when it is a MERGE_OUT, else null. */
  mergedInto?: string | null;
  /**
   * The seq mergedInto was set for. A writer that predates the field updates seq without it, so the ledger writer
   * trusts mergedInto (and starts from the snapshot) only when mergedIntoSeq equals seq.
   */
  mergedIntoSeq?: number;
  updatedAt: Date;
}

const lotSchema = new Schema<Lot>(
  {
    lotId: String,
    amount: Number,
    remaining: Number,
    earnedAt: Date,
    availableAt: Date,
    expiresAt: Date,
    purchaseId: { type: String, default: null },
  },
  { _id: false },
);

const pointAccountSchema = new Schema<PointAccountDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true },
    lots: { type: [lotSchema], default: [] },
    debt: { type: Number, required: true, default: 0 },
    lifetimeEarned: { type: Number, required: true, default: 0 },
    lastPurchaseAt: { type: Date, default: null },
    balance: { type: Number, required: true },
    mergedInto: { type: String, default: undefined },
    mergedIntoSeq: { type: Number, default: undefined },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

pointAccountSchema.index({ 'lots.expiresAt': 1 });

export type PointAccountModel = Model<PointAccountDoc>;

export function pointAccountModel(connection: Connection): PointAccountModel {
  return connection.model<PointAccountDoc>('PointAccount', pointAccountSchema, 'point_accounts');
}
