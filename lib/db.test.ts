import { isDuplicateKeyError } from './db';
import { openTestDatabase, type TestDatabase } from './testing/database';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await db.connection.collection('uniques').createIndex({ key: 1 }, { unique: true });
  await db.connection.collection('uniques').insertMany([{ _id: 'a' as never, key: 'taken' }, { _id: 'b' as never, key: 'free' }]);
});
afterAll(() => db.drop());

const caught = (work: Promise<unknown>) => work.then(() => null, (error: unknown) => error);

describe('isDuplicateKeyError', () => {
  it('recognises an insert that breaks a unique index', async () => {
    const error = await caught(db.connection.collection('uniques').insertOne({ key: 'taken' }));
    expect(error).not.toBeNull();
    expect(isDuplicateKeyError(error)).toBe(true);
  });

  it('recognises an update or upsert that breaks a unique index (FerretDB answers those with code 1, not 11000)', async () => {
    const updated = await caught(db.connection.collection('uniques').updateOne({ _id: 'b' as never }, { $set: { key: 'taken' } }));
    const upserted = await caught(db.connection.collection('uniques').updateOne({ _id: 'c' as never }, { $set: { key: 'taken' } }, { upsert: true }));
    expect([updated, upserted].map(isDuplicateKeyError)).toEqual([true, true]);
  });

  it('does not take other failures for one', async () => {
    const error = await caught(db.connection.collection('uniques').updateOne({}, { $inc: { key: 1 } }));
    expect(error).not.toBeNull();
    expect(isDuplicateKeyError(error)).toBe(false);
    expect(isDuplicateKeyError(new Error('UNIQUE constraint failed'))).toBe(false);
  });
});
