import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/** Per-caller limits at the gateway: each customer, POS key and staff member its own allowance, anonymous callers by address. */

let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  system = await startTestSystem({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3', RATE_LIMIT_CUSTOMER_PER_MINUTE: '2', RATE_LIMIT_POS_PER_MINUTE: '2' });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(() => system.close());

async function register(email: string): Promise<string> {
  const data = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: email, email, registeredVia: 'STORE', registeredStoreId: storeId } },
      system.adminHeaders(),
    ),
  );
  return data.registerMember.id;
}

it('answers a customer over the limit with HTTP 429, Retry-After and RATE_LIMITED, and leaves other customers alone', async () => {
  const [hanako, taro] = [await register('rl-hanako@example.com'), await register('rl-taro@example.com')];
  const me = (id: string) => system.graphql('{ me { id } }', {}, system.customerHeaders(id));
  expect((await me(hanako)).status).toBe(200);
  expect((await me(hanako)).status).toBe(200);
  const refused = await me(hanako);
  expect({ status: refused.status, retryAfter: Number(refused.headers.get('retry-after')) > 0, errors: refused.errors }).toEqual({
    status: 429,
    retryAfter: true,
    errors: [{ message: 'Too many requests; try again later', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) as number } }],
  });
  expect(ok(await me(taro))).toEqual({ me: { id: taro } });
});

it('counts each POS key on its own', async () => {
  const [first, second] = [await system.posHeaders([storeId]), await system.posHeaders([storeId])];
  const stores = (headers: Record<string, string>) => system.graphql('{ stores { id } }', {}, headers);
  expect([(await stores(first)).status, (await stores(first)).status, (await stores(first)).status]).toEqual([200, 200, 429]);
  expect((await stores(second)).status).toBe(200);
});

it('limits anonymous callers by address, and a refused token spends the same allowance', async () => {
  const anonymous = () => system.graphql('{ __typename }', {});
  const forged = () => system.graphql('{ __typename }', {}, { authorization: 'Bearer not.a.token' });
  expect([(await anonymous()).status, (await forged()).status, (await anonymous()).status, (await forged()).status]).toEqual([200, 401, 200, 429]);
  expect((await anonymous()).status).toBe(429);
});
