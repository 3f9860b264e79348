import { Types } from 'mongoose';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryDoc, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { verifyLedger } from './ledger-verify';

let db: TestDatabase;
let ledger: LedgerEntryModel;
let accounts: PointAccountModel;

beforeAll(async () => {
  db = await openTestDatabase();
  ledger = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
});
beforeEach(async () => {
  await ledger.deleteMany({});
  await accounts.deleteMany({});
});
afterAll(() => db.drop());

const AT = new Date('2026-06-01T00:00:00Z');
const EXPIRES = new Date('2027-06-01T00:00:00Z');

/** Entries written straight into the collection (as a bug or a hand edit could), each one lot per credit. */
function entries(memberId: string, amounts: number[], edit: (entry: Partial<LedgerEntryDoc>, i: number) => void = () => undefined): Partial<LedgerEntryDoc>[] {
  let balance = 0;
  return amounts.map((amount, i) => {
    balance += amount;
    const entry: Partial<LedgerEntryDoc> = {
      _id: new Types.ObjectId(),
      memberId,
      seq: i + 1,
      type: 'ADJUST',
      amount,
      balanceAfter: balance,
      lotsAfter: balance > 0 ? [{ lotId: `${memberId}:${i + 1}`, amount: balance, remaining: balance, earnedAt: AT, availableAt: AT, expiresAt: EXPIRES, purchaseId: null }] : [],
      debtAfter: 0,
      lifetimeEarnedAfter: balance,
      actor: 'test',
      createdAt: AT,
      idempotencyKey: `${memberId}:${i + 1}`,
    };
    edit(entry, i);
    return entry;
  });
}

async function snapshot(memberId: string, seq: number, balance: number): Promise<void> {
  await accounts.collection.insertOne({ _id: memberId as never, seq, lots: [], debt: 0, lifetimeEarned: balance, balance, updatedAt: AT });
}

const member = () => new Types.ObjectId().toHexString();

describe('points:verify (verifyLedger)', () => {
  it('passes a sound ledger and counts its members and entries, across several batches of members', async () => {
    const ids = Array.from({ length: 1_203 }, member);
    await ledger.collection.insertMany(ids.flatMap((id, n) => entries(id, n % 3 === 0 ? [100, -40] : [70])));
    // snapshots may trail the ledger (seq 1 of a member with two entries)
    for (const [n, id] of ids.slice(0, 5).entries()) await snapshot(id, 1, n % 3 === 0 ? 100 : 70);
    expect(await verifyLedger(ledger, accounts)).toEqual({ members: 1_203, entries: 1_203 + 401, problems: [] });
  });

  it('names each kind of fault: a seq gap, a running total, lots against the balance, a snapshot ahead or astray', async () => {
    const [gap, total, lots, ahead, astray, fine] = [member(), member(), member(), member(), member(), member()];
    await ledger.collection.insertMany([
      ...entries(gap, [10, 20, 30]).filter((e) => e.seq !== 2),
      ...entries(total, [10, 20], (e, i) => i === 1 && (e.balanceAfter = 25)),
      ...entries(lots, [10], (e) => (e.lotsAfter![0]!.remaining = 11)),
      ...entries(ahead, [10]),
      ...entries(fine, [10, 5]),
    ]);
    await snapshot(ahead, 3, 10);
    await snapshot(astray, 2, 50);
    await snapshot(fine, 2, 15);
    const report = await verifyLedger(ledger, accounts);
    expect(report.problems.sort()).toEqual(
      [
        `${gap} seq 3: expected seq 2`,
        `${gap} seq 3: balanceAfter 60 but the amounts add up to 40`,
        `${total} seq 2: balanceAfter 25 but the amounts add up to 30`,
        `${total} seq 2: balanceAfter 25 but lots minus debt is 30`,
        `${lots} seq 1: balanceAfter 10 but lots minus debt is 11`,
        `${lots} seq 1: lot ${lots}:1 has 11 of 10 left`,
        `${ahead}: snapshot seq 3 is ahead of the ledger (1)`,
        `${astray}: snapshot seq 2 but no ledger entries`,
      ].sort(),
    );
  });

  it('finds a member whose first entry is gone and who has no snapshot, and reports the missing seq', async () => {
    const lost = member();
    await ledger.collection.insertMany(entries(lost, [10, 20, 5]).filter((e) => e.seq !== 1));
    const report = await verifyLedger(ledger, accounts);
    expect(report).toMatchObject({ members: 1, entries: 2 });
    expect(report.problems).toEqual([`${lost} seq 2: expected seq 1`, `${lost} seq 2: balanceAfter 30 but the amounts add up to 20`, `${lost} seq 3: balanceAfter 35 but the amounts add up to 25`]);
  });
});
