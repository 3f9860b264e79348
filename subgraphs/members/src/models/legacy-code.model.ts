import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * An old card's code brought over by the member import (`member_legacy_codes`): `_id` is the code as normalised
 * (legacy-code.ts), claimed by its insert before the member it names (`memberId`, chosen then) is registered, so
 * one old card gives one member however often or however concurrently the import runs. The code keeps working at
 * the register: card look-ups that find no member code try it (member-lookup.service.ts).
 */
export interface LegacyCodeDoc {
  _id: string;
  memberId: Types.ObjectId;
  createdAt: Date;
}

const legacyCodeSchema = new Schema<LegacyCodeDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
legacyCodeSchema.index({ memberId: 1 });

export type LegacyCodeModel = Model<LegacyCodeDoc>;

export function legacyCodeModel(connection: Connection): LegacyCodeModel {
  return connection.model<LegacyCodeDoc>('LegacyCode', legacyCodeSchema, 'member_legacy_codes');
}
