import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type RegistrationChannel = 'STORE' | 'ONLINE';
export type MemberStatus = 'ACTIVE' | 'MERGED' | 'WITHDRAWN';

/** A member as stored (lean). */
export interface MemberDoc {
  _id: Types.ObjectId;
  memberCode: string;
  displayName: string;
  email?: string | null;
  phone?: string | null;
  registeredVia: RegistrationChannel;
  registeredStoreId?: string | null;
  tags: string[];
  status: MemberStatus;
  mergedIntoId?: Types.ObjectId | null;
  withdrawnAt?: Date | null;
  /** The Shopify customers this member is, as "<storeId>:<customerId>" (claimed in member_shopify_customers). */
  shopifyCustomerIds?: string[];
  createdAt: Date;
  updatedAt: Date;
}

const memberSchema = new Schema<MemberDoc>(
  {
    memberCode: { type: String, required: true },
    displayName: { type: String, required: true },
    email: { type: String, default: null },
    phone: { type: String, default: null },
    registeredVia: { type: String, required: true, enum: ['STORE', 'ONLINE'] },
    registeredStoreId: { type: String, default: null },
    tags: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['ACTIVE', 'MERGED', 'WITHDRAWN'], default: 'ACTIVE' },
    mergedIntoId: { type: Schema.Types.ObjectId, default: null },
    withdrawnAt: { type: Date, default: null },
    shopifyCustomerIds: { type: [String], default: [] },
  },
  { timestamps: true, versionKey: false },
);
memberSchema.index({ memberCode: 1 }, { unique: true });
memberSchema.index({ email: 1 });
memberSchema.index({ phone: 1 });

export type MemberModel = Model<MemberDoc>;

export function memberModel(connection: Connection): MemberModel {
  return connection.model<MemberDoc>('Member', memberSchema, 'members');
}
