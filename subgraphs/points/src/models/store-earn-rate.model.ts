import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

/**
 * One revision of a store's own earn rate; the store's rate is its highest revision. A removed rate is a revision
 * with ratePoints null, so revision numbers never restart and (storeId, revision) stays a usable claim.
 */
export interface StoreRateRevisionDoc {
  _id: Types.ObjectId;
  storeId: string;
  revision: number;
  ratePoints: number | null;
  ratePerYen: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  change: RuleChange;
}

const storeRateRevisionSchema = new Schema<StoreRateRevisionDoc>(
  {
    storeId: { type: String, required: true },
    revision: { type: Number, required: true },
    ratePoints: { type: Number, default: null },
    ratePerYen: { type: Number, default: null },
    startsAt: { type: Date, default: null },
    endsAt: { type: Date, default: null },
    change: { type: ruleChangeSchema, required: true },
  },
  { versionKey: false },
);
storeRateRevisionSchema.index({ storeId: 1, revision: 1 }, { unique: true });

export type StoreRateRevisionModel = Model<StoreRateRevisionDoc>;

export function storeRateRevisionModel(connection: Connection): StoreRateRevisionModel {
  return connection.model<StoreRateRevisionDoc>('StoreEarnRateRevision', storeRateRevisionSchema, 'store_earn_rate_revisions');
}
