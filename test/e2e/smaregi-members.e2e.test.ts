import { randomUUID } from 'node:crypto';
import { eventItemKey } from '@omo/purchases/src/smaregi/webhook/webhook-request';
import { FAKE_SMAREGI_WEBHOOK, startFakeSmaregi, type FakeSmaregi } from '../helpers/fake-smaregi';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/** Members both ways through the gateway, the webhook receiver and the fake Smaregi API. */
const CONTRACT = 'sb_members01';

const FIND = /* GraphQL */ `
  query Find($phone: String, $email: String) {
    findMembers(phone: $phone, email: $email) { id displayName email phone registeredVia registeredStoreId status card { code } }
  }
`;
const DUPLICATES = /* GraphQL */ `
  query Duplicates($state: MemberDuplicateState) {
    memberDuplicates(state: $state) {
      id state source contacts { kind value }
      member { id displayName phone email }
      duplicateOf { id displayName phone }
    }
  }
`;
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { id displayName email phone card { code } } }
`;

interface MemberView {
  id: string;
  displayName: string;
  email: string | null;
  phone: string | null;
  registeredVia?: string;
  registeredStoreId?: string | null;
  status?: string;
  card: { code: string };
}

let fake: FakeSmaregi;
let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  fake = await startFakeSmaregi();
  system = await startTestSystem(fake.settings([{ contractId: CONTRACT, stores: { '1': 'SHINJUKU' } }]), undefined, { runBackground: false });
  storeId = ok(
    await system.graphql<{ createStore: { id: string } }>(
      'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { code: 'SHINJUKU', name: '新宿店', kind: 'PHYSICAL' } },
      system.adminHeaders(),
    ),
  ).createStore.id;
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

/** Smaregi posts pos:customers for these customers; then the event is carried out from the purchases outbox. */
async function customersEvent(action: string, customerIds: string[]): Promise<void> {
  const eventId = randomUUID();
  const answer = await fake.sendWebhook(`${system.subgraphs.purchases.url}/webhooks/smaregi`, { contractId: CONTRACT, event: 'pos:customers', action, customerIds }, { ...FAKE_SMAREGI_WEBHOOK, eventId });
  expect(answer.status).toBe(200);
  const item = await system.subgraphs.purchases.built.outbox.process(eventItemKey(CONTRACT, eventId), { ignoreBackoff: true });
  expect(item).toMatchObject({ lastError: null });
  expect(item?.doneAt).toBeInstanceOf(Date);
}

/** The customer records made in Smaregi (POST /pos/customers). */
const customerPosts = () => fake.apiCalls(CONTRACT, 'POST').filter((call) => call.path.endsWith('/pos/customers'));

/** Every outbox run once, in the order a balance travels: members (sign-up bonus), points (its marks), purchases (the push). */
async function settle(): Promise<void> {
  await system.subgraphs.members.built.outbox.drain();
  await system.subgraphs.points.built.outbox.drain();
  await system.subgraphs.purchases.built.outbox.drain();
}

async function adjust(memberId: string, amount: number, key: string): Promise<void> {
  ok(await system.graphql(
    'mutation($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "調整", idempotencyKey: $key) { account { balance } } }',
    { memberId, amount, key },
    system.staffHeaders(),
  ));
}

async function balanceOf(memberId: string): Promise<number> {
  const { member } = ok(await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: memberId }, system.staffHeaders()));
  return member.points.balance;
}

async function find(variables: { phone?: string; email?: string }): Promise<MemberView[]> {
  return ok(await system.graphql<{ findMembers: MemberView[] }>(FIND, variables, system.staffHeaders())).findMembers;
}

describe('members both ways', () => {
  it('a customer created at the register becomes a store member with its contacts normalised', async () => {
    const customer = fake.putCustomer(CONTRACT, { customerCode: 'SJ-0001', lastName: '中村', firstName: '優', mobileNumber: '080-4444-5555', mailAddress: 'Yu.Nakamura@Example.com', storeId: '1' });
    await customersEvent('created', [String(customer.customerId)]);
    const [member, ...others] = await find({ phone: '08044445555' });
    expect(others).toEqual([]);
    expect(member).toEqual({
      id: expect.any(String),
      displayName: '中村 優',
      email: 'yu.nakamura@example.com',
      phone: '+818044445555',
      registeredVia: 'STORE',
      registeredStoreId: storeId,
      status: 'ACTIVE',
      card: { code: expect.stringMatching(/^\d{13}$/) },
    });
    // made at the register: that contract has its customer already, so no record is created for it there
    await system.subgraphs.members.built.outbox.process(`smaregi-member:${member!.id}`);
    expect(customerPosts()).toEqual([]);
    // the register shows the member's balance (the sign-up bonus) at the next sale
    await settle();
    expect(fake.pointOf(CONTRACT, String(customer.customerId))).toBe(100);
  });

  it('one with another member’s phone is made without it, and staff see the pair, which a merge resolves', async () => {
    const online = ok(await system.graphql<{ registerMember: MemberView }>(REGISTER, { input: { displayName: '小林 彩', phone: '090-7777-8888', registeredVia: 'ONLINE' } }, system.staffHeaders())).registerMember;
    const customer = fake.putCustomer(CONTRACT, { customerCode: 'SJ-0002', lastName: '小林', firstName: '彩', mobileNumber: '09077778888', mailAddress: 'aya.k@example.com', storeId: '1' });
    await customersEvent('created', [String(customer.customerId)]);
    const [made] = await find({ email: 'aya.k@example.com' });
    expect(made).toMatchObject({ displayName: '小林 彩', phone: null, email: 'aya.k@example.com', registeredVia: 'STORE' });

    const flags = ok(await system.graphql<{ memberDuplicates: unknown[] }>(DUPLICATES, {}, system.staffHeaders())).memberDuplicates;
    expect(flags).toEqual([
      {
        id: `${made!.id}:${online.id}`,
        state: 'OPEN',
        source: `smaregi:${CONTRACT}:${String(customer.customerId)}`,
        contacts: [{ kind: 'PHONE', value: '+819077778888' }],
        member: { id: made!.id, displayName: '小林 彩', phone: null, email: 'aya.k@example.com' },
        duplicateOf: { id: online.id, displayName: '小林 彩', phone: '+819077778888' },
      },
    ]);
    const refused = await system.graphql(DUPLICATES, {}, system.customerHeaders(online.id));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // the register-made member's ledger runs ahead of the survivor's (its seqs are higher), as a merge often finds
    await adjust(made!.id, 30, 'smaregi-members-merge-1');
    await adjust(made!.id, 20, 'smaregi-members-merge-2');
    await system.subgraphs.points.built.outbox.drain();
    await system.subgraphs.purchases.built.outbox.drain();
    expect(fake.pointOf(CONTRACT, String(customer.customerId))).toBe(150);

    ok(await system.graphql('mutation($a: ID!, $b: ID!) { mergeMembers(survivorId: $a, mergedId: $b) { id } }', { a: online.id, b: made!.id }, system.adminHeaders()));
    expect(ok(await system.graphql<{ memberDuplicates: unknown[] }>(DUPLICATES, {}, system.staffHeaders())).memberDuplicates).toEqual([]);
    const merged = ok(await system.graphql<{ memberDuplicates: { id: string; state: string }[] }>(DUPLICATES, { state: 'MERGED' }, system.staffHeaders())).memberDuplicates;
    expect(merged.map(({ id, state }) => ({ id, state }))).toEqual([{ id: `${made!.id}:${online.id}`, state: 'MERGED' }]);
    // the register's customer is the survivor's now: no second record is made for it, and it shows the survivor's
    // balance (both sign-up bonuses and the adjustments)
    await settle();
    expect(customerPosts()).toEqual([]);
    expect(await balanceOf(online.id)).toBe(250);
    expect(fake.pointOf(CONTRACT, String(customer.customerId))).toBe(250);
  });

  it('a member registered through the gateway gets a Smaregi customer with its code, and the echo webhook changes nothing', async () => {
    const member = ok(
      await system.graphql<{ registerMember: MemberView }>(
        REGISTER,
        { input: { displayName: '森 健太', email: 'kenta.mori@example.com', phone: '070-1111-2222', birthday: '1985-11-30', registeredVia: 'ONLINE' } },
        system.staffHeaders(),
      ),
    ).registerMember;
    const item = await system.subgraphs.members.built.outbox.process(`smaregi-member:${member.id}`);
    expect(customerPosts()).toHaveLength(1);
    expect(item).toMatchObject({ result: { status: 'DONE', customers: [{ contractId: CONTRACT, customerId: expect.any(String) }] } });
    const customerId = (item?.result as { customers: { customerId: string }[] }).customers[0]!.customerId;
    expect(fake.customer(CONTRACT, customerId)).toMatchObject({
      customerCode: member.card.code,
      lastName: '森 健太',
      firstName: '-',
      mobileNumber: '070-1111-2222',
      mailAddress: 'kenta.mori@example.com',
      birthDate: '1985-11-30',
    });
    await settle();
    expect(fake.pointOf(CONTRACT, customerId)).toBe(100);

    const before = await find({ email: 'kenta.mori@example.com' });
    const flagsBefore = ok(await system.graphql<{ memberDuplicates: unknown[] }>(DUPLICATES, {}, system.staffHeaders())).memberDuplicates;
    await customersEvent('created', [customerId]);
    expect(await find({ email: 'kenta.mori@example.com' })).toEqual(before);
    expect(ok(await system.graphql<{ memberDuplicates: unknown[] }>(DUPLICATES, {}, system.staffHeaders())).memberDuplicates).toEqual(flagsBefore);
    expect(customerPosts()).toHaveLength(1);
  });
});
