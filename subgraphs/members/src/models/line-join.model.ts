import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One member per LINE user joining from LINE: `_id` is the LINE user id, claimed by its insert before the member
 * it names (`memberId`, chosen then) is registered. See LineJoinService for what a claim without its member means.
 * `_id` "rejoined:<LINE user id>" marks a LINE user whose earlier member (`memberId`) withdrew: no second bonus.
 */
export interface LineJoinDoc {
  _id: string;
  memberId: Types.ObjectId;
  createdAt: Date;
}

const lineJoinSchema = new Schema<LineJoinDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type LineJoinModel = Model<LineJoinDoc>;

export function lineJoinModel(connection: Connection): LineJoinModel {
  return connection.model<LineJoinDoc>('LineJoin', lineJoinSchema, 'member_line_joins');
}
