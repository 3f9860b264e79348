import { createHash } from 'node:crypto';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { membersModels, type MembersModels } from '../models';
import { ApiKeyService } from './api-key.service';

let db: TestDatabase;
let models: MembersModels;
let service: ApiKeyService;
let now = new Date('2026-12-01T01:00:00.000Z');

function advance(ms: number): Date {
  now = new Date(now.getTime() + ms);
  return now;
}

beforeAll(async () => {
  db = await openTestDatabase();
  models = membersModels(db.connection);
  await ensureIndexes(db.connection);
  service = new ApiKeyService(models, () => now);
});
afterAll(() => db.drop());

/** The part of omo_pos_<keyId>_<secret> after the key id. */
function secretOf(key: string, keyId: string): string {
  return key.slice(`omo_pos_${keyId}_`.length);
}

/** Replaces one character of the secret with a different one that is still a valid base64url character. */
function tamper(key: string): string {
  const index = key.length - 10;
  const replacement = key[index] === 'A' ? 'B' : 'A';
  return key.slice(0, index) + replacement + key.slice(index + 1);
}

describe('ApiKeyService', () => {
  it('returns the key once and stores only a hash of its secret', async () => {
    const { key, keyId } = await service.create({ name: '新宿店レジ', storeIds: ['store-1'] });
    expect(key).toMatch(new RegExp(`^omo_pos_${keyId}_[A-Za-z0-9_-]{43}$`));
    const secret = secretOf(key, keyId);

    const raw = await models.apiKeys.findById(keyId).lean();
    expect(raw).toEqual({
      _id: keyId,
      name: '新宿店レジ',
      storeIds: ['store-1'],
      secretHash: createHash('sha256').update(secret).digest('hex'),
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    });
    const stored = JSON.stringify(raw);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(key);
  });

  it('gives every key a different id and secret', async () => {
    const first = await service.create({ name: 'register 1', storeIds: ['store-1'] });
    const second = await service.create({ name: 'register 1', storeIds: ['store-1'] });
    expect(second.keyId).not.toBe(first.keyId);
    expect(secretOf(second.key, second.keyId)).not.toBe(secretOf(first.key, first.keyId));
  });

  it('verifies a key it created and returns its stores', async () => {
    const { key, keyId } = await service.create({ name: ' 渋谷店レジ ', storeIds: [' store-2 ', 'store-3', 'store-2', ''] });
    await expect(service.verify(key)).resolves.toEqual({ keyId, name: '渋谷店レジ', storeIds: ['store-2', 'store-3'] });
  });

  it('rejects a key whose secret was tampered with', async () => {
    const { key } = await service.create({ name: 'register', storeIds: ['store-1'] });
    const tampered = tamper(key);
    expect(tampered).not.toBe(key);
    await expect(service.verify(tampered)).resolves.toBeNull();
  });

  it('rejects a well-formed key with an unknown key id', async () => {
    const { key, keyId } = await service.create({ name: 'register', storeIds: ['store-1'] });
    const otherId = keyId[0] === 'A' ? `B${keyId.slice(1)}` : `A${keyId.slice(1)}`;
    await expect(service.verify(key.replace(keyId, otherId))).resolves.toBeNull();
  });

  it.each([
    ['an empty string', () => ''],
    ['a bare word', () => 'omo_pos_'],
    ['a bearer token', () => 'Bearer abc.def.ghi'],
    ['a key with a character added', (key: string) => `${key}x`],
    ['a key with a character missing', (key: string) => key.slice(0, -1)],
    ['a key with another prefix', (key: string) => key.replace('omo_pos_', 'omo_web_')],
    ['a key with surrounding spaces', (key: string) => ` ${key} `],
  ])('rejects a malformed key: %s', async (_label, malform) => {
    const { key } = await service.create({ name: 'register', storeIds: ['store-1'] });
    await expect(service.verify(malform(key))).resolves.toBeNull();
  });

  it('rejects a revoked key, and revoking twice keeps the first revocation time', async () => {
    const { key, keyId } = await service.create({ name: 'register', storeIds: ['store-1'] });
    const revokedAt = advance(1_000);
    await expect(service.revoke(keyId)).resolves.toMatchObject({ _id: keyId, revokedAt });
    await expect(service.verify(key)).resolves.toBeNull();
    advance(1_000);
    await expect(service.revoke(keyId)).resolves.toMatchObject({ _id: keyId, revokedAt });
    await expect(service.revoke('AAAAAAAAAAAA')).resolves.toBeNull();
  });

  it('records when a key was last used, writing it at most once a minute', async () => {
    const { key, keyId } = await service.create({ name: 'register', storeIds: ['store-1'] });
    const lastUsed = async () => (await models.apiKeys.findById(keyId).lean())?.lastUsedAt;
    await expect(lastUsed()).resolves.toBeNull();
    const firstUse = advance(1_000);
    await service.verify(key);
    await expect(lastUsed()).resolves.toEqual(firstUse);
    advance(59_000);
    await service.verify(key);
    await expect(lastUsed()).resolves.toEqual(firstUse);
    const minuteLater = advance(1_000);
    await service.verify(key);
    await expect(lastUsed()).resolves.toEqual(minuteLater);
  });

  it('does not record a use of a tampered or revoked key', async () => {
    const { key, keyId } = await service.create({ name: 'register', storeIds: ['store-1'] });
    advance(1_000);
    await service.verify(tamper(key));
    await service.revoke(keyId);
    advance(60_000);
    await service.verify(key);
    expect((await models.apiKeys.findById(keyId).lean())?.lastUsedAt).toBeNull();
  });

  it('lists keys newest first, without their secret hashes', async () => {
    const older = await service.create({ name: 'older', storeIds: ['store-1'] });
    advance(1_000);
    const newer = await service.create({ name: 'newer', storeIds: ['store-2'] });
    const listed = await service.list();
    expect(listed.slice(0, 2).map((k) => k._id)).toEqual([newer.keyId, older.keyId]);
    expect(listed.every((k) => !('secretHash' in k))).toBe(true);
    expect(listed).toHaveLength(await models.apiKeys.countDocuments());
  });

  it('refuses to create a key without a label (or with a long one) or without a store, and stores nothing', async () => {
    const before = await models.apiKeys.countDocuments();
    const refusal = async (input: { name: string; storeIds: string[] }) => {
      const error = await rejection(service.create(input));
      return { message: error.message, extensions: error.extensions };
    };
    const noLabel = { message: 'An API key needs a label of 1-100 characters', extensions: { code: 'BAD_USER_INPUT', field: 'label' } };
    await expect(refusal({ name: '  ', storeIds: ['store-1'] })).resolves.toEqual(noLabel);
    await expect(refusal({ name: 'x'.repeat(101), storeIds: ['store-1'] })).resolves.toEqual(noLabel);
    await expect(refusal({ name: 'register', storeIds: [' ', ''] })).resolves.toEqual({
      message: 'An API key needs at least one store',
      extensions: { code: 'BAD_USER_INPUT', field: 'storeIds' },
    });
    await expect(refusal({ name: 'register', storeIds: Array.from({ length: 101 }, (_, i) => `store-${i}`) })).resolves.toEqual({
      message: 'An API key has at most 100 stores',
      extensions: { code: 'BAD_USER_INPUT', field: 'storeIds' },
    });
    expect(await models.apiKeys.countDocuments()).toBe(before);
  });
});
