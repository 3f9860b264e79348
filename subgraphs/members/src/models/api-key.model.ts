import { Schema, type Connection, type Model } from 'mongoose';

/** A POS integrator's key. Only a SHA-256 of its secret is stored; the key itself is shown once at creation. */
export interface ApiKeyDoc {
  _id: string;
  /** What the key is for (a register, an integrator), shown to administrators as its label. */
  name: string;
  storeIds: string[];
  secretHash: string;
  createdAt: Date;
  /** Informational, to the minute (see ApiKeyService.verify): not written on every use. */
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

/** A key as it may be shown: everything but the hash of its secret. */
export type ApiKeyView = Omit<ApiKeyDoc, 'secretHash'>;

const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    storeIds: { type: [String], required: true },
    secretHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

export type ApiKeyModel = Model<ApiKeyDoc>;

export function apiKeyModel(connection: Connection): ApiKeyModel {
  return connection.model<ApiKeyDoc>('ApiKey', apiKeySchema, 'api_keys');
}
