import { Types } from 'mongoose';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { purchaseModel, type PurchaseModel } from '../models/purchase.model';
import { pageOfPurchases } from './purchase-pages';

let db: TestDatabase;
let purchases: PurchaseModel;
/** Five purchases of one member, newest first: the middle two at the same minute, told apart by their ids. */
const ids = ['00000000000000000000000e', '00000000000000000000000d', '00000000000000000000000c', '00000000000000000000000b', '00000000000000000000000a'].map((id) => new Types.ObjectId(id));
const minutes = [50, 40, 30, 30, 20];

beforeAll(async () => {
  db = await openTestDatabase();
  purchases = purchaseModel(db.connection);
  await purchases.collection.insertMany(
    ids.map((_id, i) => ({ _id, memberId: 'm1', state: 'COMPLETED', occurredAt: new Date(Date.UTC(2026, 0, 1, 10, minutes[i])), createdAt: new Date(Date.UTC(2026, 0, 2, 10, 59 - i)) })),
  );
});
afterAll(() => db.drop());

const hex = (page: { nodes: { _id: Types.ObjectId }[] }) => page.nodes.map((p) => p._id.toHexString());

describe('a page of purchases', () => {
  it('walks the purchases newest first by the time field, ties by id, each page starting right after the last', async () => {
    const first = await pageOfPurchases(purchases, { memberId: 'm1' }, 'occurredAt', { first: 2 });
    expect(hex(first)).toEqual([ids[0]!.toHexString(), ids[1]!.toHexString()]);
    expect(first).toMatchObject({ hasNextPage: true, endCursor: Buffer.from(`2026-01-01T10:40:00.000Z|${ids[1]!.toHexString()}`).toString('base64url') });
    const second = await pageOfPurchases(purchases, { memberId: 'm1' }, 'occurredAt', { first: 2, after: first.endCursor });
    expect(hex(second)).toEqual([ids[2]!.toHexString(), ids[3]!.toHexString()]);
    const third = await pageOfPurchases(purchases, { memberId: 'm1' }, 'occurredAt', { first: 2, after: second.endCursor });
    expect(third).toMatchObject({ hasNextPage: false, endCursor: Buffer.from(`2026-01-01T10:20:00.000Z|${ids[4]!.toHexString()}`).toString('base64url') });
    expect(hex(third)).toEqual([ids[4]!.toHexString()]);
    // a page ending between the two purchases of one minute goes on with the other one
    const tie = Buffer.from(`2026-01-01T10:30:00.000Z|${ids[2]!.toHexString()}`).toString('base64url');
    expect(hex(await pageOfPurchases(purchases, { memberId: 'm1' }, 'occurredAt', { first: 1, after: tie }))).toEqual([ids[3]!.toHexString()]);
  });

  it('pages by createdAt when asked, and answers an empty page with no cursor', async () => {
    const byCreation = await pageOfPurchases(purchases, {}, 'createdAt', { first: 3, after: Buffer.from(`2026-01-02T10:59:00.000Z|${ids[0]!.toHexString()}`).toString('base64url') });
    expect(hex(byCreation)).toEqual(ids.slice(1, 4).map((id) => id.toHexString()));
    expect(await pageOfPurchases(purchases, { memberId: 'nobody' }, 'occurredAt', { first: 5 })).toEqual({ nodes: [], hasNextPage: false, endCursor: null });
  });

  it.each([
    ['a page of 0', { first: 0 }, 'first'],
    ['a page of 101', { first: 101 }, 'first'],
    ['a cursor that is not one', { first: 5, after: 'bm90IGEgY3Vyc29y' }, 'after'],
    ['a cursor with a bad id', { first: 5, after: Buffer.from('2026-01-01T10:20:00.000Z|xyz').toString('base64url') }, 'after'],
  ])('refuses %s, naming the field', async (_label, page, field) => {
    await expect(pageOfPurchases(purchases, {}, 'occurredAt', page)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
  });
});
