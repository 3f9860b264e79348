import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type DuplicateContactKind = 'email' | 'phone';

/**
 * Two members who are likely one person (`member_duplicates`): `memberId` was registered (or edited) with a contact
 * `duplicateOfId` already held, so it was made without it. `_id` is "<memberId>:<duplicateOfId>", inserted once per
 * pair; a second matching contact is added to `contacts`. Staff resolve it by merging the two (read from the
 * members' state, never written here) or by dismissing it.
 */
export interface MemberDuplicateDoc {
  _id: string;
  memberId: Types.ObjectId;
  duplicateOfId: Types.ObjectId;
  contacts: { kind: DuplicateContactKind; value: string }[];
  /** Where it was seen, e.g. "smaregi:<contractId>:<customerId>". */
  source: string;
  flaggedAt: Date;
  dismissedAt: Date | null;
  dismissedBy: string | null;
}

const duplicateSchema = new Schema<MemberDuplicateDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    duplicateOfId: { type: Schema.Types.ObjectId, required: true },
    contacts: {
      type: [new Schema({ kind: { type: String, required: true, enum: ['email', 'phone'] }, value: { type: String, required: true } }, { _id: false })],
      default: [],
    },
    source: { type: String, required: true },
    flaggedAt: { type: Date, required: true },
    dismissedAt: { type: Date, default: null },
    dismissedBy: { type: String, default: null },
  },
  { versionKey: false },
);
duplicateSchema.index({ dismissedAt: 1, flaggedAt: -1 });

export type MemberDuplicateModel = Model<MemberDuplicateDoc>;

export const memberDuplicateKey = (memberId: Types.ObjectId, duplicateOfId: Types.ObjectId): string => `${memberId.toHexString()}:${duplicateOfId.toHexString()}`;

export function memberDuplicateModel(connection: Connection): MemberDuplicateModel {
  return connection.model<MemberDuplicateDoc>('MemberDuplicate', duplicateSchema, 'member_duplicates');
}
