import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One member per LINE user joining from LINE: `_id` is the LINE user id, claimed by its insert before the member
 * it names (`memberId`, chosen then) is registered. See LineJoinService for what a claim without its member means.
 * `_id` "rejoined:<LINE user id>:<member id>" (with `lineUserId`) marks each earlier member (`memberId`) of a LINE
 * user that withdrew before the user joined again: no second sign-up bonus, and no second birthday bonus in a
 * year (prior-memberships.ts). Marks written before these had no `lineUserId`: "rejoined:<LINE user id>".
 */
export interface LineJoinDoc {
  _id: string;
  memberId: Types.ObjectId;
  lineUserId?: string | null;
  createdAt: Date;
}

const REJOINED_PREFIX = 'rejoined:';

/** The mark of a LINE user's withdrawn member as written before marks named their member (read, never written). */
export const legacyRejoinedKey = (lineUserId: string): string => `${REJOINED_PREFIX}${lineUserId}`;
/** The filter for every rejoin mark of these LINE users, new (one per withdrawn member) and legacy (one per user). */
export const rejoinedMarksOf = (lineUserIds: string[]) => ({ $or: [{ lineUserId: { $in: lineUserIds } }, { _id: { $in: lineUserIds.map(legacyRejoinedKey) } }] });

/** The mark of one withdrawn member of a LINE user who joins again. */
export const rejoinedKey = (lineUserId: string, memberId: Types.ObjectId): string => `${REJOINED_PREFIX}${lineUserId}:${memberId.toHexString()}`;

/** The LINE user a claim or a mark is about. */
export function lineUserOf(join: Pick<LineJoinDoc, '_id' | 'lineUserId'>): string {
  if (join.lineUserId) return join.lineUserId;
  return join._id.startsWith(REJOINED_PREFIX) ? join._id.slice(REJOINED_PREFIX.length) : join._id;
}

const lineJoinSchema = new Schema<LineJoinDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    lineUserId: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
lineJoinSchema.index({ memberId: 1 });
lineJoinSchema.index({ lineUserId: 1 });

export type LineJoinModel = Model<LineJoinDoc>;

export function lineJoinModel(connection: Connection): LineJoinModel {
  return connection.model<LineJoinDoc>('LineJoin', lineJoinSchema, 'member_line_joins');
}
