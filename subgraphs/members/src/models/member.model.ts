import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type RegistrationChannel = 'STORE' | 'ONLINE';
export type MemberStatus = 'ACTIVE' | 'MERGED' | 'WITHDRAWN';
export type ConsentSource = 'LINE' | 'STAFF' | 'POS' | 'ONLINE' | 'LEGACY';

/** A recorded marketing-consent choice (members registered before it was kept have none: see consentOf). */
export interface MarketingConsentDoc {
  granted: boolean;
  source: Exclude<ConsentSource, 'LEGACY'>;
  updatedAt: Date;
}

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
  /** YYYY-MM-DD as the member gave it; null or absent when not given. */
  birthday?: string | null;
  /** The birthday's month (1-12), kept beside it so the birthdays route and the segment leaf use an index. */
  birthMonth?: number | null;
  /** Absent on members registered before consent was recorded. */
  marketingConsent?: MarketingConsentDoc | null;
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
    birthday: { type: String, default: null },
    birthMonth: { type: Number, default: null },
    // no default: a member without a recorded choice must stay distinguishable (LEGACY)
    marketingConsent: {
      type: new Schema<MarketingConsentDoc>(
        {
          granted: { type: Boolean, required: true },
          source: { type: String, required: true, enum: ['LINE', 'STAFF', 'POS', 'ONLINE'] },
          updatedAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: true, versionKey: false },
);
memberSchema.index({ memberCode: 1 }, { unique: true });
memberSchema.index({ email: 1 });
memberSchema.index({ phone: 1 });
// findMembers(namePrefix): an anchored regex on displayName is a range scan of this index
memberSchema.index({ displayName: 1 });
memberSchema.index({ birthMonth: 1, _id: 1 });
// the members merged into one, for the birthday bonus's prior memberships
memberSchema.index({ mergedIntoId: 1 });

export type MemberModel = Model<MemberDoc>;

export function memberModel(connection: Connection): MemberModel {
  return connection.model<MemberDoc>('Member', memberSchema, 'members');
}
