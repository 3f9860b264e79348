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
    // the mirror was asked for the member's balance (the sign-up bonus) as the link was made
    await system.subgraphs.purchases.built.outbox.drain();
    expect(smaregi.pointOf(SHIBUYA, customerId)).toBe(100);
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

describe('members down', () => {
  it('leaves a new customer for the caller to retry, with nothing linked', async () => {
    const customer = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0009', lastName: '待', firstName: '機', mailAddress: 'wait@example.com' });
    const customerId = String(customer.customerId);
    await system.stop('members');
    try {
      await expect(sync.memberForCustomer(SHIBUYA, customerId)).rejects.toThrow('members is unavailable');
      await expect(sync.applyCustomers(SHIBUYA, [customerId])).rejects.toThrow('members is unavailable');
      expect(await links().countDocuments({ customerId, contractId: SHIBUYA })).toBe(0);
    } finally {
      await system.restart('members');
    }
    const memberId = await sync.memberForCustomer(SHIBUYA, customerId);
    expect(await member(memberId!)).toMatchObject({ email: 'wait@example.com' });
  });
});

describe('a linked customer whose member was withdrawn', () => {
  it('is no member for any later sale: each is a guest purchase', async () => {
    const customer = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0010', lastName: '退', firstName: '会', mailAddress: 'withdrawn@example.com' });
    const customerId = String(customer.customerId);
    const memberId = await sync.memberForCustomer(SHIBUYA, customerId);
    await system.subgraphs.members.built.memberService.withdraw({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, memberId!);
    expect(await sync.memberForCustomer(SHIBUYA, customerId)).toBeNull();
    expect(await sync.memberForCustomer(SHIBUYA, customerId)).toBeNull();
  });
});

describe('Smaregi refusing the app in the whole contract (a 403)', () => {
  it('leaves pos:customers to the caller’s retry instead of dropping the customer', async () => {
    const customer = smaregi.putCustomer(SHIBUYA, { customerCode: 'R0011', lastName: '権', firstName: '限', mailAddress: 'scope@example.com' });
    const customerId = String(customer.customerId);
    smaregi.fail({ method: 'GET', path: `/${SHIBUYA}/pos/customers/${customerId}`, status: 403 });
    await expect(sync.applyCustomers(SHIBUYA, [customerId])).rejects.toThrow('smaregi is unavailable');
    expect(await links().countDocuments({ customerId, contractId: SHIBUYA })).toBe(0);
    await sync.applyCustomers(SHIBUYA, [customerId]);
    expect(await links().countDocuments({ customerId, contractId: SHIBUYA })).toBe(1);
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

describe('two runs of one member’s item at once', () => {
  it('make one record, and both answer it', async () => {
    const sora = await registerElsewhere('sora@example.com', '空');
    const input = { memberId: sora._id.toHexString(), memberCode: sora.memberCode, lastName: '空', firstName: null, phone: null, email: 'sora@example.com', birthday: null, fromSmaregiContractId: KANA };
    const held = smaregi.hold({ method: 'POST', path: `/${SHIBUYA}/pos/customers` });
    const first = sync.ensureCustomers(input);
    await held.arrived;
    const second = await sync.ensureCustomers(input);
    held.release();
    expect(await first).toEqual(second);
    expect(second.customers).toHaveLength(1);
    // in order of arrival: the held one, refused for the code the other had taken meanwhile (it found that record)
    const posts = smaregi.apiCalls(SHIBUYA, 'POST').filter((call) => (call.body as { customerCode?: string }).customerCode === sora.memberCode);
    expect(posts.map((call) => call.status)).toEqual([400, 200]);
    expect(smaregi.customer(SHIBUYA, second.customers[0]!.customerId)).toMatchObject({ customerCode: sora.memberCode });
  });
});

describe('a member merge', () => {
  it('moves the merged member’s customers to the survivor, except in a contract where the survivor has its own', async () => {
    const [survivor, merged] = await Promise.all([registerElsewhere('stays@example.com', '残'), registerElsewhere('goes@example.com', '去')]);
    const [to, from] = [survivor._id.toHexString(), merged._id.toHexString()];
    const linkOf = async (contractId: string, code: string, memberId: string) => {
      const customer = smaregi.putCustomer(contractId, { customerCode: code, lastName: 'x', firstName: 'y' });
      await links().insertOne({ _id: `${contractId}:${String(customer.customerId)}`, contractId, customerId: String(customer.customerId), memberId, customerCode: code, origin: 'REGISTER', createdAt: new Date() });
      return `${contractId}:${String(customer.customerId)}`;
    };
    const own = await linkOf(SHIBUYA, 'M-STAYS', to);
    const apart = await linkOf(SHIBUYA, 'M-GOES', from);
    const moved = await linkOf(KANA, 'M-GOES-K', from);
    await sync.moveLinks(from, to);
    await sync.moveLinks(from, to);
    const memberOf = async (id: string) => (await links().findOne({ _id: id }))?.memberId;
    expect([await memberOf(own), await memberOf(apart), await memberOf(moved)]).toEqual([to, from, to]);
  });
});
