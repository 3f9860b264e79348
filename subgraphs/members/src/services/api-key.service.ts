import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MembersModels } from '../models';

const KEY_PREFIX = 'omo_pos_';

export interface VerifiedApiKey {
  keyId: string;
  name: string;
  storeIds: string[];
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * POS keys look like omo_pos_<keyId>_<secret>. The secret has 256 bits of entropy, so a plain SHA-256 is enough
 * to store it (no password-style stretching needed), and verification costs one indexed read.
 */
export class ApiKeyService {
  constructor(private readonly models: MembersModels) {}

  async create(input: { name: string; storeIds: string[] }): Promise<{ key: string; keyId: string }> {
    const name = input.name.trim();
    const storeIds = [...new Set(input.storeIds.map((s) => s.trim()).filter(Boolean))];
    if (!name) throw new Error('An API key needs a name');
    if (!storeIds.length) throw new Error('An API key needs at least one store');
    const keyId = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await this.models.apiKeys.create({ _id: keyId, name, storeIds, secretHash: hashSecret(secret), createdAt: new Date() });
    return { key: `${KEY_PREFIX}${keyId}_${secret}`, keyId };
  }

  async verify(key: string): Promise<VerifiedApiKey | null> {
    const match = /^omo_pos_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
    if (!match) return null;
    const [, keyId, secret] = match as unknown as [string, string, string];
    const doc = await this.models.apiKeys.findById(keyId).lean();
    if (!doc || doc.revokedAt) return null;
    const expected = Buffer.from(doc.secretHash, 'hex');
    const actual = Buffer.from(hashSecret(secret), 'hex');
    if (!timingSafeEqual(expected, actual)) return null;
    return { keyId: doc._id, name: doc.name, storeIds: doc.storeIds };
  }

  async revoke(keyId: string): Promise<boolean> {
    const result = await this.models.apiKeys.updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: new Date() } });
    return result.modifiedCount > 0;
  }
}
