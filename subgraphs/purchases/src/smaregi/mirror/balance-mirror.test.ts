import { Types } from 'mongoose';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { buildPurchasesSubgraph, type PurchasesSubgraph } from '../../server';
import { customerLinkId } from '../customers/customer-link.model';
import { POINT_PUSH, pointPushKey } from './point-push';

const CONTRACT = 'sb_mirror01';
const SECOND = 'sb_mirror02';
let fake: FakeSmaregi;
let db: TestDatabase;
let purchases: PurchasesSubgraph;
let now: number;
const clock = () => new Date(now);
const memberId = new Types.ObjectId().toHexString();
const linkId = customerLinkId(CONTRACT, '1');

async function link(contractId: string, customerId: string, member = memberId): Promise<void> {
  fake.putCustomer(contractId, { customerId, customerCode: `C${customerId}`, lastName: '山田', firstName: '花子', point: 0 });
  await db.connection.collection<{ _id: string; [field: string]: unknown }>('smaregi_customers').insertOne({
    _id: customerLinkId(contractId, customerId), contractId, customerId, memberId: member, customerCode: `C${customerId}`, origin: 'REGISTER', createdAt: clock(),
  });
}

/** points' smaregiBalance call for the member, `asOfMs` after the test's start. */
function mark(seq: number, balance: number, asOfMs = seq * 1000) {
  return purchases.smaregi.mirror.mark({ memberId, seq, balance, asOf: new Date(Date.parse('2026-03-02T01:00:00Z') + asOfMs) });
}

const patches = (contractId = CONTRACT) => fake.apiCalls(contractId, 'PATCH').map((c) => [(c.body as { point: string }).point, c.status]);

beforeEach(async () => {
  now = Date.parse('2026-03-02T01:00:00Z');
  fake = await startFakeSmaregi({ now: clock });
  db = await openTestDatabase();
  const config = testConfig(fake.settings([{ contractId: CONTRACT }, { contractId: SECOND }]));
  purchases = buildPurchasesSubgraph(testBuildOptions(db.connection, { config, clock }));
  await link(CONTRACT, '1');
});

afterEach(async () => {
  await fake.close();
  await db.drop();
});

describe('marks', () => {
  it('are not kept for a member with no Smaregi customer', async () => {
    const other = new Types.ObjectId().toHexString();
    expect(await purchases.smaregi.mirror.mark({ memberId: other, seq: 1, balance: 10, asOf: clock() })).toEqual({ status: 'NOT_MAPPED' });
    expect(await purchases.smaregi.mirror.models.marks.countDocuments({ memberId: other })).toBe(0);
  });

  it('arriving out of order and more than once end with the newest in Smaregi, sent once', async () => {
    expect(await mark(3, 300)).toEqual({ status: 'QUEUED' });
    await mark(1, 100);
    await mark(2, 200);
    await mark(3, 300);
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(300);
    await mark(2, 200);
    await mark(3, 300);
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(300);
    expect(patches()).toEqual([['300', 200]]);
    const record = await purchases.smaregi.mirror.models.pushes.findById(linkId).lean();
    expect(record).toMatchObject({ state: 'PUSHED', pushed: { seq: 3, balance: 300, point: 300 }, reason: null });
  });

  it('of one seq: the later reading counts (pending points became usable)', async () => {
    await mark(4, 100, 4000);
    await purchases.outbox.drain();
    await mark(4, 160, 9000);
    await mark(4, 100, 4000);
    await purchases.outbox.drain();
    expect(patches()).toEqual([['100', 200], ['160', 200]]);
  });

  it('carry a pointExpireDate ten years ahead, so Smaregi never forfeits the mirrored points', async () => {
    fake.putCustomer(CONTRACT, { customerId: '1', customerCode: 'C1', lastName: '山田', firstName: '花子', point: 0, pointExpireDate: '2026-03-31' });
    await mark(1, 100);
    await purchases.outbox.drain();
    now = Date.parse('2026-04-01T00:00:00+09:00');
    expect(fake.pointOf(CONTRACT, '1')).toBe(100);
    expect(fake.apiCalls(CONTRACT, 'PATCH').map((c) => c.body)).toEqual([{ point: '100', pointExpireDate: '2036-03-02' }]);
  });

  it('of a negative balance (points owed) set Smaregi to 0', async () => {
    await mark(5, -40);
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(0);
    expect(await purchases.smaregi.mirror.models.pushes.findById(linkId).lean()).toMatchObject({ pushed: { balance: -40, point: 0 } });
  });

  it('go to each of the member’s customers, one per contract', async () => {
    await link(SECOND, '7');
    await mark(1, 55);
    await purchases.outbox.drain();
    expect([fake.pointOf(CONTRACT, '1'), fake.pointOf(SECOND, '7')]).toEqual([55, 55]);
  });
});

describe('two pushes of one customer at once', () => {
  it('end at the newest even when the older PATCH lands last', async () => {
    const push = purchases.smaregi.mirror.handlers()[POINT_PUSH]!;
    const item = { linkId };
    await mark(1, 100);
    const held = fake.hold({ method: 'PATCH' });
    const first = push(item, undefined as never);
    await held.arrived;
    await mark(2, 200);
    expect(await push(item, undefined as never)).toEqual({ outcome: 'PUSHED', seq: 2, point: 200 });
    expect(fake.pointOf(CONTRACT, '1')).toBe(200);
    held.release();
    expect(await first).toEqual({ outcome: 'PUSHED', seq: 2, point: 200 });
    expect(fake.pointOf(CONTRACT, '1')).toBe(200);
    // the held 100 landed after the 200; its own check saw mark 2 and sent it again
    expect(patches()).toEqual([['100', 200], ['200', 200], ['200', 200]]);
  });
});

describe('when Smaregi cannot answer', () => {
  it('a 429 waits for its Retry-After, then the newest goes', async () => {
    fake.fail({ method: 'PATCH', status: 429, retryAfter: '7' });
    await mark(1, 100);
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(0);
    const item = await purchases.outbox.find(pointPushKey(linkId));
    expect(item?.nextAttemptAt.getTime()).toBe(now + 7000);
    expect(await purchases.smaregi.mirror.models.pushes.findById(linkId).lean()).toMatchObject({ state: 'RETRYING', status: 429 });
    await mark(2, 120);
    now += 6999;
    await purchases.outbox.drain();
    expect(patches()).toEqual([['100', 429]]);
    now += 1;
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(120);
    expect(patches()).toEqual([['100', 429], ['120', 200]]);
    expect(await purchases.outbox.pending()).toBe(0);
  });

  it('down for a while (503, then timeouts): the push backs off and catches up with nothing lost', async () => {
    fake.fail({ status: 503, times: 'always' });
    await mark(1, 100);
    for (let i = 0; i < 4; i += 1) {
      await purchases.outbox.drain();
      await mark(i + 2, 100 + (i + 2) * 10);
      now += 10 * 60_000;
    }
    expect(fake.pointOf(CONTRACT, '1')).toBe(0);
    fake.clearFailures();
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(150);
    expect(await purchases.smaregi.mirror.models.pushes.findById(linkId).lean()).toMatchObject({ state: 'PUSHED', pushed: { seq: 5, point: 150 } });
  });
});

describe('when Smaregi refuses', () => {
  it('a customer deleted in Smaregi is kept for staff with Smaregi’s reason, not retried', async () => {
    fake.deleteCustomer(CONTRACT, '1');
    await mark(1, 100);
    await purchases.outbox.drain();
    expect(await purchases.outbox.pending()).toBe(0);
    const refused = await purchases.smaregi.mirror.refused(CONTRACT);
    expect(refused.map((r) => [r._id, r.state, r.status, r.reason])).toEqual([[linkId, 'REFUSED', 404, '会員が存在しません']]);
    now += 3_600_000;
    await purchases.outbox.drain();
    expect(patches()).toEqual([['100', 404]]);
  });

  it('a plan without points (403, the whole contract) is not refused for good: it waits 10 minutes, then goes once the plan has points', async () => {
    fake.addContract(SECOND, { points: false });
    await link(SECOND, '3');
    await mark(1, 100);
    await purchases.outbox.drain();
    expect(await purchases.smaregi.mirror.refused(SECOND)).toEqual([]);
    expect(await purchases.smaregi.mirror.models.pushes.findById(customerLinkId(SECOND, '3')).lean()).toMatchObject({ state: 'RETRYING', status: 403, reason: 'ご利用のプランではポイント機能を利用できません' });
    expect((await purchases.outbox.find(pointPushKey(customerLinkId(SECOND, '3'))))?.nextAttemptAt.getTime()).toBe(now + 10 * 60_000);
    expect(fake.pointOf(CONTRACT, '1')).toBe(100);
    fake.addContract(SECOND, { points: true });
    fake.putCustomer(SECOND, { customerId: '3', customerCode: 'C3', lastName: '山田', firstName: '花子', point: 0 });
    now += 10 * 60_000;
    await purchases.outbox.drain();
    expect(fake.pointOf(SECOND, '3')).toBe(100);
    expect(await purchases.smaregi.mirror.models.pushes.findById(customerLinkId(SECOND, '3')).lean()).toMatchObject({ state: 'PUSHED', status: null });
  });
});

describe('smaregiPointPushesOutOfStep', () => {
  it('lists a push retrying over an hour though each 10-minute retry of a 403 contract writes its record again', async () => {
    fake.addContract(SECOND, { points: false });
    await link(SECOND, '3');
    await mark(1, 100);
    const staff = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' } as const;
    for (let attempt = 0; attempt < 7; attempt += 1) {
      await purchases.outbox.drain();
      if (attempt < 6) now += 10 * 60_000;
    }
    expect(fake.apiCalls(SECOND, 'PATCH')).toHaveLength(7);
    const listed = await purchases.smaregi.mirror.outOfStep(staff, SECOND);
    expect(listed.map((r) => [r._id, r.state, r.status])).toEqual([[customerLinkId(SECOND, '3'), 'RETRYING', 403]]);
  });
});

describe('a customer moved to another member (a merge)', () => {
  it('shows the survivor’s balance, though the merged member’s seqs ran higher', async () => {
    await mark(1, 100);
    await mark(2, 150);
    await mark(3, 180);
    await purchases.outbox.drain();
    const survivor = new Types.ObjectId().toHexString();
    await db.connection.collection<{ _id: string }>('smaregi_customers').updateOne({ _id: linkId }, { $set: { memberId: survivor } });
    await purchases.smaregi.mirror.mark({ memberId: survivor, seq: 1, balance: 40, asOf: clock() });
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(40);
    expect(await purchases.smaregi.mirror.models.pushes.findById(linkId).lean()).toMatchObject({ state: 'PUSHED', memberId: survivor, pushed: { seq: 1, point: 40 } });
  });
});

describe('reconcile (a register transaction that did not move our ledger)', () => {
  it('a point field the register changed is set back to our balance', async () => {
    await mark(1, 100);
    await purchases.outbox.drain();
    fake.putCustomer(CONTRACT, { customerId: '1', customerCode: 'C1', lastName: '山田', firstName: '花子', point: 130 });
    expect(await purchases.smaregi.mirror.reconcile(CONTRACT, '1')).toBe('CORRECTED');
    await purchases.outbox.drain();
    expect(fake.pointOf(CONTRACT, '1')).toBe(100);
    expect(patches()).toEqual([['100', 200], ['100', 200]]);
  });

  it('our own update coming back as a transaction is in step and sends nothing', async () => {
    await mark(1, -5);
    await purchases.outbox.drain();
    expect(await purchases.smaregi.mirror.reconcile(CONTRACT, '1')).toBe('IN_STEP');
    await purchases.outbox.drain();
    expect(patches()).toEqual([['0', 200]]);
  });

  it('a customer not linked is NOT_MAPPED; Smaregi down throws for the caller’s retry', async () => {
    expect(await purchases.smaregi.mirror.reconcile(CONTRACT, '99')).toBe('NOT_MAPPED');
    await mark(1, 100);
    await purchases.outbox.drain();
    fake.fail({ method: 'GET', status: 503 });
    await expect(purchases.smaregi.mirror.reconcile(CONTRACT, '1')).rejects.toThrow('503');
  });
});
