import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Types } from 'mongoose';
import pino from 'pino';
import { SERVICE_IDENTITY_HEADER } from '@omo/lib/core/auth';
import type { LeaseDoc } from '@omo/lib/core/claims';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import { MembersClient } from '@omo/purchases/src/services/members.client';
import { settlementHandlers } from '@omo/purchases/src/services/points-settlement';
import { idFromKey } from '@omo/purchases/src/services/idempotency';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * How a purchase's settlement ends: amounts points could never settle are refused at the door; a settlement that
 * points refuses for good, or cannot carry out for 24 hours, ends SETTLEMENT_FAILED where staff see it; and two
 * attempts at one settlement cannot end it REJECTED with its points taken.
 */
const RECORD = /* GraphQL */ `
  mutation Record($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) { id status statusReason }
  }
`;
const READ = /* GraphQL */ `
  query Read($id: ID!) {
    purchase(id: $id) { status statusReason pointsRedeemed member { points { balance } } }
  }
`;
const ATTENTION = /* GraphQL */ `
  query { purchasesNeedingAttention { nodes { id status statusReason } hasNextPage } }
`;

let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;
const errorLogs: { msg: string; purchaseId?: string }[] = [];

beforeAll(async () => {
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLogs.push(JSON.parse(line) as { msg: string }) });
  system = await startTestSystem({}, logger, { runBackground: false });
  const store = await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "T001", name: "決済店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders());
  storeId = store.data!.createStore.id;
  pos = await system.posHeaders([storeId]);
});
afterAll(() => system.close());

let sequence = 0;
async function registerMember(): Promise<{ id: string; memberCode: string }> {
  sequence += 1;
  const response = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
    { input: { displayName: `決済${sequence}`, phone: `090-2000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    pos,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember;
}

const purchaseInput = (key: string, memberCode: string, pointsToRedeem = 0) => ({
  idempotencyKey: key,
  storeId,
  memberCode,
  lines: [{ sku: 'BAG-01', name: '帆布トート', unitPrice: 5000, quantity: 1 }],
  total: 5000,
  pointsToRedeem,
});

async function countIn(collection: string, filter: Record<string, unknown> = {}): Promise<number> {
  return system.db.collection(collection).countDocuments(filter);
}

/** A redeeming purchase recorded while points is down: stored PENDING_POINTS, its settlement queued. */
async function recordWhilePointsDown(input: ReturnType<typeof purchaseInput>): Promise<string> {
  await system.stop('points');
  try {
    const response = await system.graphql(RECORD, { input }, pos);
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
  } finally {
    await system.restart('points');
  }
  return idFromKey(`purchase:${storeId}:${input.idempotencyKey}`).toHexString();
}

describe('amounts above the limit', () => {
  it.each([
    ['one line above 1,000,000,000 yen', [{ sku: 'GOLD', name: '金塊', unitPrice: 10_000_000, quantity: 101 }], 0],
    ['lines adding up to more than 1,000,000,000 yen, even discounted below it', [{ sku: 'A', name: 'a', unitPrice: 10_000_000, quantity: 60 }, { sku: 'B', name: 'b', unitPrice: 10_000_000, quantity: 41 }], 20_000_000],
  ])('refuses a purchase with %s at the door, naming the lines, and writes nothing', async (_label, lines, discount) => {
    const member = await registerMember();
    const input = { idempotencyKey: `big-${sequence}`, storeId, memberCode: member.memberCode, lines, discount, total: 1_010_000_000 - discount };
    const response = await system.graphql(RECORD, { input }, pos);
    expect(response.data).toBeNull();
    expect(response.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'lines' }]);
    expect(await countIn('purchases', { memberId: member.id })).toBe(0);
    expect(await countIn('purchases_outbox', { _id: `settle:${idFromKey(`purchase:${storeId}:${input.idempotencyKey}`).toHexString()}` })).toBe(0);
  });
});

describe('a settlement that can never succeed', () => {
  it('ends a purchase that points refuses for good SETTLEMENT_FAILED at its first attempt, with its reason for staff, and logs it as an error', async () => {
    const member = await registerMember();
    // stored by a version that had no limit: points refuses its amount, which no retry changes
    const purchaseId = new Types.ObjectId();
    const { models, outbox } = system.subgraphs.purchases.built;
    await outbox.enqueue(`settle:${purchaseId.toHexString()}`, 'settle', { purchaseId: purchaseId.toHexString() });
    await models.purchases.create({
      _id: purchaseId, idempotencyKey: 'legacy-1', requestDigest: 'legacy', storeId, memberId: member.id, channel: 'STORE',
      lines: [{ sku: 'GOLD', name: '金塊', unitPrice: 10_000_000, quantity: 200 }], subtotal: 2_000_000_000, discount: 0, total: 2_000_000_000,
      pointsApplied: 0, amountPaid: 2_000_000_000, occurredAt: new Date(), state: 'PENDING_POINTS', actor: 'staff:legacy',
    });

    await outbox.drain();

    const reason = 'Its points were refused: amount Too big: expected number to be <=1000000000';
    const read = await system.graphql(READ, { id: purchaseId.toHexString() }, system.adminHeaders());
    expect(read.data).toEqual({ purchase: { status: 'SETTLEMENT_FAILED', statusReason: reason, pointsRedeemed: 0, member: { points: { balance: 100 } } } });
    expect(await outbox.find(`settle:${purchaseId.toHexString()}`)).toMatchObject({ attempts: 0, doneAt: expect.any(Date) });
    const attention = await system.graphql<{ purchasesNeedingAttention: { nodes: { id: string }[] } }>(ATTENTION, {}, system.adminHeaders());
    expect(attention.data!.purchasesNeedingAttention.nodes).toContainEqual({ id: purchaseId.toHexString(), status: 'SETTLEMENT_FAILED', statusReason: reason });
    expect(errorLogs).toContainEqual(expect.objectContaining({ msg: 'purchase settlement refused for good', purchaseId: purchaseId.toHexString() }));

    const byPos = await system.graphql(READ.replace(' member { points { balance } }', ''), { id: purchaseId.toHexString() }, pos);
    expect(byPos.data).toEqual({ purchase: { status: 'SETTLEMENT_FAILED', statusReason: null, pointsRedeemed: 0 } });
    const listByPos = await system.graphql(ATTENTION, {}, pos);
    expect(listByPos.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('ends a settlement points cannot carry out for 24 hours SETTLEMENT_FAILED, and a resend with the same key answers that', async () => {
    const member = await registerMember();
    const input = purchaseInput(`down-${sequence}`, member.memberCode, 60);
    const purchaseId = await recordWhilePointsDown(input);
    const { outbox } = system.subgraphs.purchases.built;
    const key = `settle:${purchaseId}`;

    await system.stop('points');
    try {
      await system.db.collection<{ _id: string }>('purchases_outbox').updateOne({ _id: key }, { $set: { nextAttemptAt: new Date(0) } });
      await outbox.drain();
      expect(await outbox.find(key)).toMatchObject({ doneAt: null }); // an hour-long outage is retried
      await system.db.collection<{ _id: string }>('purchases_outbox').updateOne({ _id: key }, { $set: { createdAt: new Date(Date.now() - 24 * 3_600_000 - 1), nextAttemptAt: new Date(0) } });
      await outbox.drain();
      const reason = 'Its points could not be settled within 24 hours: the points service did not answer';
      const resent = await system.graphql(RECORD, { input }, pos);
      expect(resent.errors).toBeUndefined();
      expect(resent.data).toEqual({ recordPurchase: { id: purchaseId, status: 'SETTLEMENT_FAILED', statusReason: null } });
      const asStaff = await system.graphql(RECORD, { input }, system.adminHeaders());
      expect(asStaff.data).toEqual({ recordPurchase: { id: purchaseId, status: 'SETTLEMENT_FAILED', statusReason: reason } });
      expect(errorLogs).toContainEqual(expect.objectContaining({ msg: 'purchase settlement given up after 24 hours of failures', purchaseId }));
    } finally {
      await system.restart('points');
    }
    const read = await system.graphql(READ, { id: purchaseId }, system.adminHeaders());
    expect(read.data).toMatchObject({ purchase: { status: 'SETTLEMENT_FAILED', pointsRedeemed: 0, member: { points: { balance: 100 } } } });
    expect(await countIn('point_ledger', { purchaseId })).toBe(0);

    // its points were never settled, so there are none to reverse: staff resolve it first
    const refund = await system.graphql('mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { status } }', { input: { purchaseId, idempotencyKey: 'r-1', amount: 100 } }, pos);
    expect(refund.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'purchaseId' }]);
    expect(await countIn('refunds', { purchaseId })).toBe(0);
  });
});

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A service behind a gate: each call to `path` is held, before it is passed on or once the service has answered
 * it, until the test lets it through, so attempts can be interleaved step by step. Other calls pass at once.
 */
async function gated(target: 'points' | 'members', path: string, hold: 'request' | 'answer') {
  const calls: { reached: Deferred; release: Deferred }[] = [];
  const callAt = (i: number) => (calls[i] ??= { reached: deferred(), release: deferred() });
  let next = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const call = req.url === path ? callAt(next++) : null;
      const wait = async () => {
        call!.reached.resolve();
        await call!.release.promise;
      };
      if (call && hold === 'request') await wait();
      const upstream = await fetch(`${system.subgraphs[target].url}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_IDENTITY_HEADER]: String(req.headers[SERVICE_IDENTITY_HEADER]) },
        body: Buffer.concat(chunks),
      });
      const body = await upstream.text();
      if (call && hold === 'answer') await wait();
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    directory: { baseUrl: (service: string) => (service === target ? url : system.subgraphs[service as 'members'].url) } satisfies ServiceDirectory,
    reached: (i: number) => callAt(i).reached.promise,
    release: (i: number) => callAt(i).release.resolve(),
    close: () => {
      calls.forEach((call) => call.release.resolve());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The purchases service's settlement handler, calling points and members through `directory`. */
function settleThrough(directory: ServiceDirectory) {
  const built = system.subgraphs.purchases.built;
  return settlementHandlers({
    models: built.models,
    members: new MembersClient(directory, system.config.INTERNAL_SECRET),
    services: directory,
    internalSecret: system.config.INTERNAL_SECRET,
    clock: () => new Date(),
    logger: pino({ level: 'silent' }),
  }).settle!;
}

const direct: ServiceDirectory = { baseUrl: (service) => system.subgraphs[service as 'members'].url };

const ADJUST = 'mutation($m: ID!, $k: String!) { adjustPoints(memberId: $m, amount: 100, reason: "お詫び", idempotencyKey: $k) { account { balance } } }';

describe('a settlement that can still succeed', () => {
  it.each([429, 408])('retries a settlement that points (or a proxy in front of it) answers HTTP %i without our error body', async (status) => {
    const member = await registerMember();
    const purchaseId = await recordWhilePointsDown(purchaseInput(`busy-${status}-${sequence}`, member.memberCode, 60));
    const busy = createServer((_req, res) => void res.writeHead(status, { 'content-type': 'text/plain' }).end('slow down'));
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(busy.address() as AddressInfo).port}`;
    const item = (await system.subgraphs.purchases.built.outbox.find(`settle:${purchaseId}`))!;
    try {
      const settle = settleThrough({ baseUrl: (service) => (service === 'points' ? url : system.subgraphs[service as 'members'].url) });
      await expect(settle({ purchaseId }, item)).rejects.toThrow(`points is unavailable: HTTP ${status}`);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
    const read = await system.graphql(READ, { id: purchaseId }, system.adminHeaders());
    expect(read.data).toEqual({ purchase: { status: 'PENDING_POINTS', statusReason: null, pointsRedeemed: 0, member: { points: { balance: 100 } } } });
  });
});

describe('two attempts at one settlement', () => {
  it('does not end a purchase REJECTED when an attempt refused for want of points finishes after another one redeemed them', async () => {
    const member = await registerMember(); // 100 points
    const purchaseId = await recordWhilePointsDown(purchaseInput(`race-${sequence}`, member.memberCode, 150));
    const gate = await gated('points', '/internal/settlements', 'answer');
    const settle = settleThrough(gate.directory);
    const item = (await system.subgraphs.purchases.built.outbox.find(`settle:${purchaseId}`))!;
    let firstOutcome: string;
    try {
      const first = settle({ purchaseId }, item);
      await gate.reached(0); // points refused it: 100 points, 150 asked
      expect((await system.graphql(ADJUST, { m: member.id, k: `race-${purchaseId}` }, system.adminHeaders())).errors).toBeUndefined();
      const second = settle({ purchaseId }, item); // a lease taken over, say
      await gate.reached(1); // points redeemed the 150 and earned on the 4,850 yen paid
      gate.release(0);
      firstOutcome = await first.then(() => 'settled', () => 'retried');
      gate.release(1);
      await second;
    } finally {
      await gate.close();
    }
    const read = await system.graphql(READ, { id: purchaseId }, system.adminHeaders());
    expect(read.data).toEqual({ purchase: { status: 'COMPLETED', statusReason: null, pointsRedeemed: 150, member: { points: { balance: 98 } } } });
    // the refused attempt is retried, and its retry finds the redemption
    expect(firstOutcome).toBe('retried');
  });

  it('does not start a second attempt when the register resends while another process runs one; it takes over once that one’s lease is over', async () => {
    const member = await registerMember();
    const input = purchaseInput(`resend-${sequence}`, member.memberCode, 60);
    const purchaseId = await recordWhilePointsDown(input);
    const key = `settle:${purchaseId}`;
    const { outbox } = system.subgraphs.purchases.built;
    const attempts = (await outbox.find(key))!.attempts;
    // a worker elsewhere has leased the current attempt and is waiting on points
    const leases = system.db.collection<LeaseDoc>('purchases_outbox_leases');
    const resource = `${key}:${attempts}`;
    const acquiredAt = new Date();
    await leases.insertOne({ _id: `${resource}#0`, resource, generation: 0, holder: 'elsewhere', acquiredAt, expiresAt: new Date(acquiredAt.getTime() + 30_000) });

    const during = await system.graphql(RECORD, { input }, pos);
    expect(during.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await countIn('point_ledger', { purchaseId })).toBe(0);
    expect((await outbox.find(key))!.attempts).toBe(attempts);

    // that worker died: its lease passes, and the next resend carries the attempt through
    await leases.updateOne({ _id: `${resource}#0` }, { $set: { expiresAt: new Date(Date.now() - 30_000) } });
    const after = await system.graphql(RECORD, { input }, pos);
    expect(after.data).toEqual({ recordPurchase: { id: purchaseId, status: 'COMPLETED', statusReason: null } });
    expect(await countIn('point_ledger', { purchaseId, type: 'REDEEM' })).toBe(1);
  });

  it('gives the points back when an attempt redeems after another one has ended the purchase REJECTED', async () => {
    const member = await registerMember(); // 100 points
    const purchaseId = await recordWhilePointsDown(purchaseInput(`late-${sequence}`, member.memberCode, 150));
    const slowMembers = await gated('members', '/internal/members/current', 'request');
    const item = (await system.subgraphs.purchases.built.outbox.find(`settle:${purchaseId}`))!;
    try {
      const late = settleThrough(slowMembers.directory)({ purchaseId }, item);
      await slowMembers.reached(0); // it has read the purchase, still pending, and is about to call points
      await expect(settleThrough(direct)({ purchaseId }, item)).resolves.toEqual({
        state: 'REJECTED',
        reason: 'Not enough points: 100 available, 150 requested',
      });
      expect((await system.graphql(ADJUST, { m: member.id, k: `late-${purchaseId}` }, system.adminHeaders())).errors).toBeUndefined();
      slowMembers.release(0);
      await expect(late).resolves.toEqual({ state: 'REJECTED', reason: 'Not enough points: 100 available, 150 requested' });
    } finally {
      await slowMembers.close();
    }
    const read = await system.graphql(READ, { id: purchaseId }, system.adminHeaders());
    expect(read.data).toEqual({
      purchase: { status: 'REJECTED', statusReason: 'Not enough points: 100 available, 150 requested', pointsRedeemed: 0, member: { points: { balance: 200 } } },
    });
  });
});
