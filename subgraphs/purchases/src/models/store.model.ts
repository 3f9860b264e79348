import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type StoreKind = 'PHYSICAL' | 'ONLINE' | 'POPUP';

export interface StoreDoc {
  _id: Types.ObjectId;
  code: string;
  name: string;
  kind: StoreKind;
  prefecture?: string | null;
  city?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const storeSchema = new Schema<StoreDoc>(
  {
    code: { type: String, required: true },
    name: { type: String, required: true },
    kind: { type: String, required: true, enum: ['PHYSICAL', 'ONLINE', 'POPUP'] },
    prefecture: { type: String, default: null },
    city: { type: String, default: null },
  },
  { timestamps: true, versionKey: false },
);
storeSchema.index({ code: 1 }, { unique: true });

export type StoreModel = Model<StoreDoc>;

export function storeModel(connection: Connection): StoreModel {
  return connection.model<StoreDoc>('Store', storeSchema, 'stores');
}
