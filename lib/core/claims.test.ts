import { Schema } from 'mongoose';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { claimOnce, insertOnce, Leases } from '@omo/lib/core/claims';

interface TicketDoc {
  _id: string;
  code: string;
  owner: string;
}

let db: TestDatabase;
let now: Date;
const clock = () => now;

beforeAll(async () => {
  db = await openTestDatabase();
  const schema = new Schema<TicketDoc>({ _id: String, code: { type: String, required: true, unique: true }, owner: String }, { versionKey: false });
  db.connection.model<TicketDoc>('Ticket', schema, 'tickets');
  new Leases(db.connection, { model: 'TestLease', collection: 'test_leases' }, clock, 1000);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(() => {
  now = new Date('2026-12-01T00:00:00Z');
});

describe('claimOnce', () => {
  it('gives the claim to one of two racing callers and shows the loser the winner', async () => {
    const tickets = db.connection.model<TicketDoc>('Ticket');
    const [a, b] = await Promise.all([
      claimOnce(tickets, { _id: 'race', code: 'R1', owner: 'a' }),
      claimOnce(tickets, { _id: 'race', code: 'R1', owner: 'b' }),
    ]);
    const results = [a, b];
    const won = results.filter((r) => r.won);
    const lost = results.filter((r) => !r.won);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = won[0]!.won ? won[0]!.doc.owner : '';
    expect(lost[0]!.won ? null : lost[0]!.existing).toEqual({ _id: 'race', code: 'R1', owner: winner });
  });

  it('re-reads by the other unique key when told how', async () => {
    const tickets = db.connection.model<TicketDoc>('Ticket');
    await claimOnce(tickets, { _id: 'first', code: 'C2', owner: 'a' });
    const second = await claimOnce(tickets, { _id: 'second', code: 'C2', owner: 'b' }, () => tickets.findOne({ code: 'C2' }).lean<TicketDoc>().exec());
    expect(second).toEqual({ won: false, existing: { _id: 'first', code: 'C2', owner: 'a' } });
    expect(await insertOnce(tickets, { _id: 'third', code: 'C2', owner: 'c' })).toBe(false);
    expect(await tickets.countDocuments({ code: 'C2' })).toBe(1);
  });
});

describe('Leases', () => {
  it('lets one holder in while its lease runs, and exactly one of two takers in once it has lapsed', async () => {
    const leases = new Leases(db.connection, { model: 'TestLease', collection: 'test_leases' }, clock, 1000);
    const first = await leases.acquire('job-1', 'w1');
    expect(first).toMatchObject({ _id: 'job-1#0', generation: 0, holder: 'w1' });
    expect(await leases.acquire('job-1', 'w2')).toBeNull();

    now = new Date(now.getTime() + 1001);
    const takers = await Promise.all([leases.acquire('job-1', 'w2'), leases.acquire('job-1', 'w3')]);
    const taken = takers.filter((t) => t !== null);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ _id: 'job-1#1', generation: 1 });
    expect((await leases.newest('job-1'))?.holder).toBe(taken[0]!.holder);
  });

  it('gives a new resource to the first of acquireNew’s callers, and a lapsed one to exactly one of two takers', async () => {
    const leases = new Leases(db.connection, { model: 'TestLease', collection: 'test_leases' }, clock, 1000);
    expect(await leases.acquireNew('job-3', 'w1')).toMatchObject({ _id: 'job-3#0', generation: 0, holder: 'w1' });
    expect(await leases.acquireNew('job-3', 'w2')).toBeNull();

    now = new Date(now.getTime() + 1001);
    const takers = await Promise.all([leases.acquireNew('job-3', 'w2'), leases.acquireNew('job-3', 'w3')]);
    const taken = takers.filter((t) => t !== null);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ _id: 'job-3#1', generation: 1 });
  });

  it('hands the resource on at once when released, and ignores a release by a holder already taken over', async () => {
    const leases = new Leases(db.connection, { model: 'TestLease', collection: 'test_leases' }, clock, 1000);
    const first = (await leases.acquire('job-2', 'w1'))!;
    await leases.release(first);
    const second = (await leases.acquire('job-2', 'w2'))!;
    expect(second).toMatchObject({ generation: 1, holder: 'w2' });
    await leases.release(first);
    expect(await leases.acquire('job-2', 'w3')).toBeNull();
    await leases.clear('job-2');
    expect(await leases.newest('job-2')).toBeNull();
  });
});
