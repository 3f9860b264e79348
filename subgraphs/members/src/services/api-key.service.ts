import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import type { ApiKeyView } from '../models/api-key.model';

const KEY_PREFIX = 'omo_pos_';
const MAX_LABEL_LENGTH = 100;
const MAX_STORES = 100;
/**
 * lastUsedAt only tells an administrator whether a key is still in use, so it is written at most this often: most
 * verifications stay a single read.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface VerifiedApiKey {
  keyId: string;
  name: string;
  storeIds: string[];
}

export interface StoreRef {
  id: string;
  code: string;
}

/** Where a key's stores are checked: the purchases service owns them (see stores.client.ts). */
export interface StoreDirectory {
  /** The stores these ids or codes name, one per reference in order; BAD_USER_INPUT naming any unknown ones. */
  resolve(refs: string[]): Promise<StoreRef[]>;
}

export interface IssuedApiKey {
  /** The whole key, secret included: shown once, never stored. */
  key: string;
  keyId: string;
  apiKey: ApiKeyView;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const labelSchema = z.string().trim().min(1).max(MAX_LABEL_LENGTH);
/** Store ids or codes as typed: trimmed, blanks dropped, each once. */
const storeRefsSchema = z
  .array(z.string())
  .transform((refs) => [...new Set(refs.map((s) => s.trim()).filter(Boolean))])
  .pipe(
    z
      .array(z.string())
      .min(1, 'An API key needs at least one store')
      .max(MAX_STORES, `An API key has at most ${MAX_STORES} stores`),
  );

function parseLabel(raw: string): string {
  const label = labelSchema.safeParse(raw);
  if (!label.success) throw new BadUserInputError(`An API key needs a label of 1-${MAX_LABEL_LENGTH} characters`, { field: 'label' });
  return label.data;
}

function parseStoreRefs(raw: string[]): string[] {
  const refs = storeRefsSchema.safeParse(raw);
  if (!refs.success) throw new BadUserInputError(refs.error.issues[0]?.message ?? 'The stores are not valid', { field: 'storeIds' });
  return refs.data;
}

/**
 * POS keys look like omo_pos_<keyId>_<secret>. The secret has 256 bits of entropy, so a plain SHA-256 is enough
 * to store it (no password-style stretching needed), and verification costs one indexed read.
 *
 * Who may manage keys is decided by the callers of this class (administrators through GraphQL, whoever holds the
 * database for the CLI); it only keeps the keys.
 */
export class ApiKeyService {
  constructor(
    private readonly models: MembersModels,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A key for stores already known to exist (ids as given); createForStores checks them with their owner. */
  async create(input: { name: string; storeIds: string[] }): Promise<IssuedApiKey> {
    const name = parseLabel(input.name);
    const storeIds = parseStoreRefs(input.storeIds);
    const keyId = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const doc = { _id: keyId, name, storeIds, createdAt: this.clock(), lastUsedAt: null, revokedAt: null };
    await this.models.apiKeys.create({ ...doc, secretHash: hashSecret(secret) });
    return { key: `${KEY_PREFIX}${keyId}_${secret}`, keyId, apiKey: doc };
  }

  /**
   * A key for the stores these ids or codes name, after the store directory has found every one of them: an unknown
   * store is BAD_USER_INPUT and no key is written. A store named twice (by id and by code) counts once.
   */
  async createForStores(input: { name: string; stores: string[] }, directory: StoreDirectory): Promise<IssuedApiKey & { stores: StoreRef[] }> {
    const name = parseLabel(input.name);
    const resolved = await directory.resolve(parseStoreRefs(input.stores));
    const stores = [...new Map(resolved.map((store) => [store.id, store])).values()];
    return { ...(await this.create({ name, storeIds: stores.map((s) => s.id) })), stores };
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
    const now = this.clock();
    // a plain $set: two verifications racing both write about the same time, and nothing is decided by it
    if (!doc.lastUsedAt || now.getTime() - doc.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.models.apiKeys.updateOne({ _id: keyId }, { $set: { lastUsedAt: now } });
    }
    return { keyId: doc._id, name: doc.name, storeIds: doc.storeIds };
  }

  /** Every key, newest first, revoked ones included. */
  list(): Promise<ApiKeyView[]> {
    return this.models.apiKeys.find({}, { secretHash: 0 }).sort({ createdAt: -1, _id: -1 }).lean<ApiKeyView[]>().exec();
  }

  /**
   * Revokes a key and returns it (null for an unknown id). Revoking again changes nothing: the key keeps the time
   * it was first revoked (two revocations racing may both write theirs, a moment apart; nothing depends on it).
   */
  async revoke(keyId: string): Promise<ApiKeyView | null> {
    await this.models.apiKeys.updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: this.clock() } });
    return this.models.apiKeys.findById(keyId, { secretHash: 0 }).lean<ApiKeyView>().exec();
  }
}
