import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import type { AppendNotice, AppendWatcher } from './ledger-append';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { createRulesModule } from './rules.module';

const staff: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const NOW = new Date('2027-05-10T03:00:00Z');
const LOTS = [{ points: 300, expiresAt: new Date('2027-06-30T14:59:59.999Z') }, { points: 200, expiresAt: new Date('2028-03-31T14:59:59.999Z') }];

let db: TestDatabase;
let ledgerModel: LedgerEntryModel;
let accounts: PointAccountModel;
let ledger: LedgerService;
/** What the watcher heard, as the Smaregi balance sync and the partner events would. */
const heard: { before: string[]; inserted: string[] } = { before: [], inserted: [] };
const watcher: AppendWatcher = {
  before: (memberId, idempotencyKey) => {
    heard.before.push(`${memberId}:${idempotencyKey}`);
    return Promise.resolve({ memberId, idempotencyKey, fresh: true, at: NOW });
  },
  inserted: (notice: AppendNotice) => {
    heard.inserted.push(`${notice.memberId}:${notice.idempotencyKey}`);
    return Promise.resolve();
  },
};

beforeAll(async () => {
  db = await openTestDatabase();
  const clock = () => NOW;
  ledgerModel = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  const { policy } = createRulesModule(db.connection, clock);
  ledger = new LedgerService(ledgerModel, accounts, policy, clock, () => Promise.resolve(true), Number.POSITIVE_INFINITY, watcher);
  await ensureIndexes(db.connection);
});
afterEach(async () => {
  expect((await verifyLedger(ledgerModel, accounts)).problems).toEqual([]);
});
afterAll(() => db.drop());

const member = () => new Types.ObjectId().toHexString();
const imported = (memberId: string, key = `import:${memberId}`) => ({ memberId, key, actor: 'admin', lots: LOTS });

describe('a bulk import of first ledger entries', () => {
  it('writes each new member the entry imported() would, with its snapshot, the watcher told before and after', async () => {
    const [a, b] = [member(), member()];
    const written = await ledger.importedFirst([imported(a), imported(b)]);
    expect(written.map((entry) => [entry?.memberId, entry?.seq, entry?.type, entry?.amount, entry?.balanceAfter])).toEqual([
      [a, 1, 'IMPORT', 500, 500],
      [b, 1, 'IMPORT', 500, 500],
    ]);
    expect(written[0]!.lotsAfter.map((lot) => [lot.amount, lot.expiresAt.toISOString()])).toEqual([
      [300, '2027-06-30T14:59:59.999Z'],
      [200, '2028-03-31T14:59:59.999Z'],
    ]);
    expect((await accounts.findById(a).lean().exec())?.balance).toBe(500);
    expect(heard.inserted).toEqual(expect.arrayContaining([`${a}:import:${a}`, `${b}:import:${b}`]));
  });

  it('leaves a rerun and a member with entries already to imported(), which replays the key and appends after the head', async () => {
    const [again, active, fresh] = [member(), member(), member()];
    const first = (await ledger.importedFirst([imported(again)]))[0]!;
    await ledger.adjust(staff, { memberId: active, amount: 120, reason: 'goodwill', idempotencyKey: `goodwill-${active}` });
    const written = await ledger.importedFirst([imported(again), imported(active), imported(fresh)]);
    expect(written.map((entry) => entry?.memberId)).toEqual([undefined, undefined, fresh]);
    expect((await ledger.imported(imported(again)))?._id.toHexString()).toBe(first._id.toHexString());
    const appended = await ledger.imported(imported(active));
    expect([appended?.seq, appended?.balanceAfter]).toEqual([2, 620]);
    expect(await ledgerModel.countDocuments({ memberId: { $in: [again, active, fresh] } })).toBe(4);
  });

  it('writes one entry for a member whose import races an ordinary append of the same key', async () => {
    const memberId = member();
    const [bulk, single] = await Promise.all([ledger.importedFirst([imported(memberId)]), ledger.imported(imported(memberId))]);
    const stored = await ledgerModel.find({ memberId }).lean().exec();
    expect(stored.map((entry) => [entry.seq, entry.amount])).toEqual([[1, 500]]);
    expect(single?._id.toHexString()).toBe(stored[0]!._id.toHexString());
    expect(bulk[0] === undefined || bulk[0]._id.equals(stored[0]!._id)).toBe(true);
  });

  it('writes nothing for a member whose lots have all expired', async () => {
    const memberId = member();
    const written = await ledger.importedFirst([{ memberId, key: `import:${memberId}`, actor: 'admin', lots: [{ points: 100, expiresAt: new Date('2027-01-31T14:59:59.999Z') }] }]);
    expect(written).toEqual([undefined]);
    expect(await ledgerModel.countDocuments({ memberId })).toBe(0);
  });
});
