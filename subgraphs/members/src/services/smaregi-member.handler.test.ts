import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Caller } from '@omo/lib/core/auth';
import { SERVICE_IDENTITY_HEADER, verifyServiceIdentity } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testConfig } from '@omo/tools/testing/config';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';
import { queueSmaregiMembers } from './smaregi-member-backfill';

const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const CONTRACTS = JSON.stringify([{ contractId: 'sb_shibuya', stores: { '1': 'SHIBUYA' } }]);

/** Purchases' smaregiMember as its contract answers it, recording what members sent. */
async function startPurchasesStub(): Promise<{ url: string; calls: Record<string, unknown>[]; close(): Promise<void> }> {
  const calls: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      verifyServiceIdentity(req.headers[SERVICE_IDENTITY_HEADER] as string, TEST_INTERNAL_SECRET, 'purchases');
      if (req.url !== '/internal/smaregi/members') return void res.writeHead(404).end();
      calls.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'DONE', customers: [{ contractId: 'sb_shibuya', customerId: '9' }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let db: TestDatabase;
let purchases: Awaited<ReturnType<typeof startPurchasesStub>>;
let now: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  purchases = await startPurchasesStub();
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await purchases.close();
  await db.drop();
});
beforeEach(() => {
  now = new Date('2030-04-01T09:00:00.000Z');
  purchases.calls.length = 0;
});

function build(contracts: string | undefined): MembersSubgraph {
  return buildMembersSubgraph(
    testBuildOptions(db.connection, {
      config: testConfig({ SMAREGI_CONTRACTS: contracts, SMAREGI_CLIENT_ID: 'app', SMAREGI_CLIENT_SECRET: 'secret', SMAREGI_WEBHOOK_SECRET: 'whsec-0123456789abcdef' }),
      services: { baseUrl: (service) => (service === 'purchases' ? purchases.url : 'http://127.0.0.1:9') },
      clock: () => now,
    }),
  );
}

describe('a new member’s Smaregi customer records', () => {
  it('are asked of the connector for a member registered anywhere, with the member’s code, name and contacts', async () => {
    const subgraph = build(CONTRACTS);
    const member = await subgraph.memberService.register(STAFF, {
      displayName: '高橋 葵',
      email: 'Aoi@Example.com',
      phone: '090-2222-3333',
      birthday: '1988-02-03',
      registeredVia: 'ONLINE',
    });
    const key = `smaregi-member:${member._id.toHexString()}`;
    expect(await subgraph.outbox.find(key)).toMatchObject({ type: 'smaregi-member', doneAt: null });
    await subgraph.outbox.process(key);
    expect(purchases.calls).toEqual([
      {
        memberId: member._id.toHexString(),
        memberCode: member.memberCode,
        lastName: '高橋 葵',
        firstName: null,
        phone: '+819022223333',
        email: 'aoi@example.com',
        birthday: '1988-02-03',
        fromSmaregiContractId: null,
      },
    ]);
    expect(await subgraph.outbox.find(key)).toMatchObject({ result: { status: 'DONE', customers: [{ contractId: 'sb_shibuya', customerId: '9' }] } });
  });

  it('name the contract a register customer came from, with its family and given name', async () => {
    const subgraph = build(CONTRACTS);
    const { memberId, memberCode } = await subgraph.memberService.upsertRegisterCustomer({
      contractId: 'sb_shibuya',
      customerId: '44',
      customerCode: 'C44',
      storeId: null,
      lastName: '田中',
      firstName: '一郎',
      lastKana: null,
      firstKana: null,
      phone: null,
      email: 'ichiro.tanaka@example.com',
      birthday: null,
      updatedAt: null,
    });
    await subgraph.outbox.process(`smaregi-member:${memberId}`);
    expect(purchases.calls).toEqual([
      { memberId, memberCode, lastName: '田中', firstName: '一郎', phone: null, email: 'ichiro.tanaka@example.com', birthday: null, fromSmaregiContractId: 'sb_shibuya' },
    ]);
  });

  it('are not asked for when no contract is configured', async () => {
    const subgraph = build(undefined);
    const member = await subgraph.memberService.register(STAFF, { displayName: '無契約', email: 'none@example.com', registeredVia: 'ONLINE' });
    expect(await subgraph.outbox.find(`smaregi-member:${member._id.toHexString()}`)).toBeNull();
  });

  it('wait for a member queued but not stored yet, and are dropped for one that never appears', async () => {
    const subgraph = build(CONTRACTS);
    const key = 'smaregi-member:665f0000000000000000abcd';
    await subgraph.outbox.enqueue(key, 'smaregi-member', { memberId: '665f0000000000000000abcd', lastName: null, firstName: null, fromSmaregiContractId: null });
    expect(await subgraph.outbox.process(key)).toMatchObject({ doneAt: null, lastError: 'member not stored yet' });
    now = new Date(now.getTime() + 61_000);
    expect(await subgraph.outbox.process(key, { ignoreBackoff: true })).toMatchObject({ result: { dropped: 'the registration did not complete' } });
    expect(purchases.calls).toEqual([]);
  });
});

describe('members who existed before the contract (npm run smaregi:sync-members)', () => {
  it('are each asked for once, a member whose record was asked for before asked again, a withdrawn one not at all', async () => {
    const before = build(undefined);
    const old = await before.memberService.register(STAFF, { displayName: '古株 一', email: 'old-1@example.com', registeredVia: 'ONLINE' });
    const left = await before.memberService.register(STAFF, { displayName: '退会 者', email: 'left@example.com', registeredVia: 'ONLINE' });
    await before.memberService.withdraw(STAFF, left._id.toHexString());
    const after = build(CONTRACTS);
    const recent = await after.memberService.register(STAFF, { displayName: '新規 二', email: 'new-2@example.com', registeredVia: 'ONLINE' });
    await after.outbox.drain();
    purchases.calls.length = 0;

    const queued = await queueSmaregiMembers(after.models, after.outbox);
    await after.outbox.drain();
    const asked = purchases.calls.map((call) => call.memberId);
    expect(asked).toEqual(expect.arrayContaining([old._id.toHexString(), recent._id.toHexString()]));
    expect(asked).not.toContain(left._id.toHexString());
    expect(queued).toBe(asked.length);
    expect(new Set(asked).size).toBe(asked.length);
    expect(purchases.calls.find((call) => call.memberId === old._id.toHexString())).toMatchObject({ memberCode: old.memberCode, email: 'old-1@example.com' });
  });
});
