import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { startTestSystem, type TestSystem } from '../../../../../test/helpers/system';
import type { CustomerSync } from './customer-sync';
import type { SmaregiCustomerLinkDoc } from './customer-link.model';

const SHIBUYA = 'sb_shibuya';
const KANA = 'sb_kana';
const MANUAL = 'sb_manual';

let smaregi: FakeSmaregi;
let system: TestSystem;
let sync: CustomerSync;
let storeId: string;

beforeAll(async () => {
  smaregi = await startFakeSmaregi();
  smaregi.addContract(KANA, { requireKana: true });
  system = await startTestSystem(
    smaregi.settings([
      { contractId: SHIBUYA, stores: { '1': 'SHIBUYA' } },
      { contractId: KANA },
      { contractId: MANUAL, createCustomers: false },
    ]),
    undefined,
    { runBackground: false },
  );
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input: { code: 'SHIBUYA', name: '渋谷店', kind: 'PHYSICAL' } },
    system.adminHeaders(),
  );
  expect(store.errors).toBeUndefined();
  storeId = store.data!.createStore.id;
  sync = system.subgraphs.purchases.built.smaregi.customers;
});
afterAll(async () => {
  await system.close();
  await smaregi.close();
});

const links = () => system.db.collection<SmaregiCustomerLinkDoc>('smaregi_customers');
const member = (id: string) => system.subgraphs.members.built.models.members.findById(id).lean();
const memberCount = () => system.subgraphs.members.built.models.members.countDocuments();

async function registerElsewhere(email: string, displayName = '高橋 葵') {
  return system.subgraphs.members.built.memberService.register(
    { kind: 'staff', staffId: 'staff-1', role: 'STAFF' },
    { displayName, email, phone: null, registeredVia: 'ONLINE', birthday: '1988-02-03' },
  );
}

describe('a register customer becomes a member', () => {
  it('for a sale: fetched once, upserted at the store its Smaregi store maps to, and linked', async () => {
    const customer = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0001', lastName: '山田', firstName: '花子', mobileNumber: '090-1234-5678', mailAddress: 'Hanako@Example.com', storeId: '1' });
    const customerId = String(customer.customerId);
    const memberId = await sync.memberForCustomer(SHIBUYA, customerId);
    expect(await member(memberId!)).toMatchObject({ displayName: '山田 花子', phone: '+819012345678', email: 'hanako@example.com', registeredVia: 'STORE', registeredStoreId: storeId });
    expect(await links().findOne({ _id: `${SHIBUYA}:${customerId}` })).toMatchObject({ memberId, customerCode: 'R0001', origin: 'REGISTER' });
    const reads = smaregi.apiCalls(SHIBUYA, 'GET').length;
    expect(await sync.memberForCustomer(SHIBUYA, customerId)).toBe(memberId);
    expect(smaregi.apiCalls(SHIBUYA, 'GET')).toHaveLength(reads);
  });

  it('for pos:customers: each customer applied, one Smaregi no longer has skipped, one who left (退会) keeps the member', async () => {
    const kept = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0002', lastName: '佐藤', firstName: '健', mailAddress: 'ken.sato@example.com' });
    const gone = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0003', lastName: '消', firstName: '去', mailAddress: 'gone@example.com' });
    smaregi.deleteCustomer(SHIBUYA, String(gone.customerId));
    const before = await memberCount();
    await sync.applyCustomers(SHIBUYA, [String(gone.customerId), String(kept.customerId)]);
    expect(await memberCount()).toBe(before + 1);
    const link = await links().findOne({ _id: `${SHIBUYA}:${String(kept.customerId)}` });
    smaregi.putCustomer(SHIBUYA, { ...kept, status: '3' });
    await sync.applyCustomers(SHIBUYA, [String(kept.customerId)]);
    expect(await member(link!.memberId)).toMatchObject({ status: 'ACTIVE', email: 'ken.sato@example.com' });
  });
});

describe('a member registered elsewhere gets a customer record', () => {
  it('in each contract that creates customers, with the member’s code; asked again, nothing is created twice', async () => {
    const aoi = await registerElsewhere('aoi.takahashi@example.com');
    const input = {
      memberId: aoi._id.toHexString(),
      memberCode: aoi.memberCode,
      lastName: '高橋',
      firstName: '葵',
      phone: '+819022223333',
      email: 'aoi.takahashi@example.com',
      birthday: '1988-02-03',
      fromSmaregiContractId: null,
    };
    const posts = () => smaregi.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/pos/customers'));
    const result = await sync.ensureCustomers(input);
    expect(result).toEqual({
      status: 'DONE',
      customers: [
        { contractId: SHIBUYA, customerId: expect.any(String) },
        { contractId: KANA, customerId: expect.any(String) },
      ],
    });
    const [shibuya, kana] = result.customers;
    expect(smaregi.customer(SHIBUYA, shibuya!.customerId)).toMatchObject({
      customerCode: aoi.memberCode, lastName: '高橋', firstName: '葵', lastKana: null, mobileNumber: '090-2222-3333', mailAddress: 'aoi.takahashi@example.com', birthDate: '1988-02-03',
    });
    // the contract that requires kana refused the record without it, and took it with Smaregi's placeholder
    expect(posts().filter((call) => call.path.startsWith(`/${KANA}/`)).map((call) => call.status)).toEqual([400, 200]);
    expect(smaregi.customer(KANA, kana!.customerId)).toMatchObject({ customerCode: aoi.memberCode, lastKana: '@', firstKana: '@' });
    expect(await links().find({ memberId: aoi._id.toHexString() }).sort({ contractId: 1 }).toArray()).toMatchObject([
      { contractId: KANA, origin: 'CONNECTOR' },
      { contractId: SHIBUYA, customerId: shibuya!.customerId, customerCode: aoi.memberCode, origin: 'CONNECTOR' },
    ]);
    const count = posts().length;
    expect(await sync.ensureCustomers(input)).toEqual(result);
    expect(posts()).toHaveLength(count);

    // our record comes back as pos:customers created: the member is found by its code and nothing changes
    const [members, stored] = [await memberCount(), await member(aoi._id.toHexString())];
    await sync.applyCustomers(SHIBUYA, [shibuya!.customerId]);
    expect(await memberCount()).toBe(members);
    expect(await member(aoi._id.toHexString())).toEqual(stored);
  });

  it('finds the record a run that died before linking it had made, and skips the contract the member came from', async () => {
    const ren = await registerElsewhere('ren@example.com', '蓮');
    const made = smaregi.putCustomer(SHIBUYA, { customerCode: ren.memberCode, lastName: '蓮', firstName: '-' });
    const before = smaregi.calls.filter((call) => call.method === 'POST').length;
    const result = await sync.ensureCustomers({
      memberId: ren._id.toHexString(), memberCode: ren.memberCode, lastName: '蓮', firstName: null, phone: null, email: 'ren@example.com', birthday: null, fromSmaregiContractId: KANA,
    });
    expect(result).toEqual({ status: 'DONE', customers: [{ contractId: SHIBUYA, customerId: String(made.customerId) }] });
    expect(smaregi.calls.filter((call) => call.method === 'POST')).toHaveLength(before);
  });

  it('waits while Smaregi cannot answer, and leaves out a contract that refuses the record', async () => {
    const mio = await registerElsewhere('mio@example.com', '澪');
    const input = { memberId: mio._id.toHexString(), memberCode: mio.memberCode, lastName: '澪', firstName: null, phone: null, email: 'mio@example.com', birthday: null, fromSmaregiContractId: null };
    smaregi.fail({ method: 'GET', path: `/${SHIBUYA}/pos/customers`, status: 503 });
    await expect(sync.ensureCustomers(input)).rejects.toThrow('smaregi is unavailable');
    expect(await links().countDocuments({ memberId: input.memberId })).toBe(0);
    // a customerCode Smaregi does not take (not ASCII): refused with and without kana, in every contract
    const refused = await sync.ensureCustomers({ ...input, memberCode: '会員コード' });
    expect(refused).toEqual({ status: 'DONE', customers: [] });
    expect(await links().countDocuments({ memberId: input.memberId })).toBe(0);
  });
});
