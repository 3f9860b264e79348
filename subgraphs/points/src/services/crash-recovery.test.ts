import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { REPO_ROOT } from '@omo/lib/core/config';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, testMongodbUri, type TestDatabase } from '@omo/tools/testing/database';
import { TEST_INTERNAL_SECRET } from '@omo/tools/testing/subgraph';
import { createPointsLoaders } from '../loaders/points.loaders';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { KnownHeads } from './known-heads';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { viewAt } from './lots';
import { createRulesModule } from './rules.module';
import { SettlementService } from './settlement.service';

const staff: Caller = { kind: 'staff', staffId: 's1', role: 'STAFF' };
const NOW = new Date('2026-07-01T00:00:00Z');

let db: TestDatabase;
let ledgerModel: LedgerEntryModel;
let accounts: PointAccountModel;
let ledger: LedgerService;
let settlement: SettlementService;
let rules: ReturnType<typeof createRulesModule>;

beforeAll(async () => {
  db = await openTestDatabase();
  ledgerModel = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  rules = createRulesModule(db.connection, () => NOW);
  ledger = new LedgerService(ledgerModel, accounts, rules.policy, () => NOW, () => Promise.resolve(true));
  settlement = new SettlementService(ledger, rules.policy, rules.tiers, rules.calculator);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

const memberId = () => new Types.ObjectId().toHexString();

describe('crash recovery', () => {
  it('reads the right balance when the process died before refreshing the account snapshot', async () => {
    const id = memberId();
    await ledger.adjust(staff, { memberId: id, amount: 40, reason: 'a', idempotencyKey: `a-${id}` });
    await ledger.adjust(staff, { memberId: id, amount: 2, reason: 'b', idempotencyKey: `b-${id}` });
    // as if the process died between inserting entry 2 and updating the snapshot
    await accounts.updateOne({ _id: id }, { $set: { seq: 1, balance: 40 } });

    const loaders = createPointsLoaders({ ledger: ledgerModel, accounts, tiers: rules.tiers, coupons: { byIds: () => Promise.resolve([]) }, now: NOW });
    expect(viewAt(await loaders.stateByMemberId.load(id), NOW).balance).toBe(42);
    // and the next write starts from the ledger, not the stale snapshot
    await ledger.adjust(staff, { memberId: id, amount: -42, reason: 'c', idempotencyKey: `c-${id}` });
    expect(await accounts.findById(id).lean()).toMatchObject({ seq: 3, balance: 0 });
  });

  it('reads the head another process wrote when this one knows only an older entry of the member, its snapshot lagging', async () => {
    const id = memberId();
    const heads = new KnownHeads();
    const loadersOf = () => createPointsLoaders({ ledger: ledgerModel, accounts, heads, tiers: rules.tiers, coupons: { byIds: () => Promise.resolve([]) }, now: NOW });
    await ledger.adjust(staff, { memberId: id, amount: 40, reason: 'a', idempotencyKey: `h-a-${id}` });
    expect(viewAt(await loadersOf().stateByMemberId.load(id), NOW).balance).toBe(40);
    expect(heads.seqOf(id)).toBe(1);
    // another replica writes entry 2 and dies before refreshing the snapshot: this process still knows seq 1
    await ledger.adjust(staff, { memberId: id, amount: 2, reason: 'b', idempotencyKey: `h-b-${id}` });
    await accounts.updateOne({ _id: id }, { $set: { seq: 1, balance: 40 } });
    expect(viewAt(await loadersOf().stateByMemberId.load(id), NOW).balance).toBe(42);
    expect(heads.seqOf(id)).toBe(2);
  });

  it('completes a merge that died after moving the points out, moving them in exactly once', async () => {
    const [from, to] = [memberId(), memberId()];
    await ledger.adjust(staff, { memberId: from, amount: 75, reason: 'a', idempotencyKey: `m-${from}` });
    const out = await ledger.moveOut({ mergeId: 'merge-crash', fromMemberId: from, toMemberId: to, actor: 'staff:s1' });
    expect(out).toMatchObject({ type: 'MERGE_OUT', amount: -75 });

    await settlement.merge({ mergeId: 'merge-crash', fromMemberId: from, toMemberId: to, actor: 'staff:s1' });
    await settlement.merge({ mergeId: 'merge-crash', fromMemberId: from, toMemberId: to, actor: 'staff:s1' });
    expect(viewAt(await ledger.state(to), NOW).balance).toBe(75);
    expect(await ledgerModel.countDocuments({ memberId: to })).toBe(1);
  });

  it('passes `npm run points:verify` on a sound ledger and fails it, naming the member, on a tampered one', async () => {
    const id = memberId();
    await ledger.adjust(staff, { memberId: id, amount: 10, reason: 'v', idempotencyKey: `v-${id}` });
    expect((await verifyLedger(ledgerModel, accounts)).problems).toEqual([]);
    const run = () =>
      promisify(execFile)(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/points-verify.ts'], {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_ENV: 'test', MONGODB_URI: testMongodbUri(), MONGODB_DB: db.dbName, INTERNAL_SECRET: TEST_INTERNAL_SECRET },
      });
    await expect(run()).resolves.toMatchObject({ stdout: expect.stringContaining('ledger OK') });

    await ledgerModel.updateOne({ memberId: id, seq: 1 }, { $set: { amount: 11 } });
    await expect(run()).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining(`MISMATCH ${id} seq 1`) });
    await ledgerModel.updateOne({ memberId: id, seq: 1 }, { $set: { amount: 10 } });
  });
});
