import { Schema, type Connection, type Model } from 'mongoose';

/** A member's point account, keyed by member id. The ledger that feeds it arrives with the points issue. */
export interface PointAccountDoc {
  _id: string;
  balance: number;
}

const pointAccountSchema = new Schema<PointAccountDoc>(
  {
    _id: { type: String, required: true },
    balance: { type: Number, required: true, default: 0, validate: Number.isInteger },
  },
  { versionKey: false },
);

export type PointAccountModel = Model<PointAccountDoc>;

export function pointAccountModel(connection: Connection): PointAccountModel {
  return connection.model<PointAccountDoc>('PointAccount', pointAccountSchema, 'point_accounts');
}
