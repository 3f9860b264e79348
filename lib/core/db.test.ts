import { Types } from 'mongoose';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';

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

describe('the database answers long $in lists as MongoDB does (our FerretDB patch looks them up in a set)', () => {
  const hex = (n: number) => n.toString(16).padStart(24, '0');
  beforeAll(async () => {
    await db.connection.collection('lists').insertMany([
      { _id: 'string' as never, v: hex(1) },
      { _id: 'objectid' as never, v: new Types.ObjectId(hex(2)) },
      { _id: 'array' as never, v: ['x', hex(3)] },
      { _id: 'number' as never, v: 7 },
      { _id: 'other' as never, v: 'nope' },
      { _id: 'missing' as never },
    ]);
  });
  const matching = async (values: unknown[]) =>
    (await db.connection.collection('lists').find({ v: { $in: values } }).toArray()).map((d) => d._id as unknown as string).sort();
  const filler = Array.from({ length: 20 }, (_, i) => `filler-${i}`);

  it('matches strings and ObjectIDs by type and value, and an array holding one of them', async () => {
    expect(await matching([...filler, hex(1), hex(3)])).toEqual(['array', 'string']);
    // the same hex as an ObjectID matches the ObjectID only, never the string
    expect(await matching([...filler, new Types.ObjectId(hex(1)), new Types.ObjectId(hex(2))])).toEqual(['objectid']);
  });

  it('falls back to comparing each element when the list holds other types (numbers, null)', async () => {
    expect(await matching([...filler, 7, hex(1)])).toEqual(['number', 'string']);
    expect(await matching([...filler, null])).toEqual(['missing']);
  });
});
