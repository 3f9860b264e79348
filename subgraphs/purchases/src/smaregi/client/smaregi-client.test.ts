import { createLogger } from '@omo/lib/core/logger';
import { testConfig } from '@omo/tools/testing/config';
import { until } from '@omo/tools/testing/concurrency';
import { startFakeSmaregi, type FakeSmaregi } from '../../../../../test/helpers/fake-smaregi';
import { SmaregiRefusedError, SmaregiUnavailableError } from '../smaregi-api';
import { SmaregiClient } from './smaregi-client';
import type { SmaregiLimits } from './smaregi-throttle';

const CONTRACT = 'sb_client01';
const OTHER = 'sb_client02';
let fake: FakeSmaregi;
let nowMs = Date.parse('2026-03-02T01:00:00Z');
const clock = () => new Date(nowMs);
const fast: SmaregiLimits = { readsPerSecond: 1000, writesPerSecond: 1000 };

function client(overrides: Record<string, string> = {}, limits: SmaregiLimits = fast): SmaregiClient {
  const config = testConfig(fake.settings([{ contractId: CONTRACT }, { contractId: OTHER }], overrides));
  return new SmaregiClient(config, clock, createLogger('silent'), { limits });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error('expected the call to fail'), (error: unknown) => error);
}

beforeEach(async () => {
  nowMs = Date.parse('2026-03-02T01:00:00Z');
  fake = await startFakeSmaregi({ now: clock, tokenTtlSeconds: 3600 });
  fake.addContract(CONTRACT);
  fake.addContract(OTHER);
});

afterEach(() => fake.close());

describe('the access token', () => {
  it('is fetched by client credentials with the connector scopes, then reused for the contract', async () => {
    fake.putCustomer(CONTRACT, { customerCode: 'M1', lastName: '山田', firstName: '花子' });
    const api = client();
    await api.getCustomer(CONTRACT, '1');
    await api.getCustomer(CONTRACT, '1');
    expect(fake.tokensIssued(CONTRACT)).toBe(1);
    const tokenCall = fake.calls.find((c) => c.path === `/app/${CONTRACT}/token`)!;
    expect(tokenCall.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`);
    expect(tokenCall.body).toEqual({ grant_type: 'client_credentials', scope: 'pos.transactions:read pos.customers:read pos.customers:write' });
    expect(fake.apiCalls(CONTRACT).map((c) => c.status)).toEqual([200, 200]);
  });

  it('is one per contract', async () => {
    const api = client();
    await api.getCustomer(CONTRACT, '9');
    await api.getCustomer(OTHER, '9');
    expect([fake.tokensIssued(CONTRACT), fake.tokensIssued(OTHER)]).toEqual([1, 1]);
  });

  it('is renewed shortly before it expires, not after', async () => {
    const api = client();
    await api.getCustomer(CONTRACT, '9');
    nowMs += 3540_000 - 1;
    await api.getCustomer(CONTRACT, '9');
    expect(fake.tokensIssued(CONTRACT)).toBe(1);
    nowMs += 1;
    await api.getCustomer(CONTRACT, '9');
    expect(fake.tokensIssued(CONTRACT)).toBe(2);
    expect(fake.apiCalls(CONTRACT).map((c) => c.status)).toEqual([404, 404, 404]);
  });

  it('is renewed once on a 401 and the call sent again', async () => {
    const api = client();
    fake.putCustomer(CONTRACT, { customerCode: 'M1', lastName: '山田', firstName: '花子' });
    await api.getCustomer(CONTRACT, '1');
    fake.revokeTokens();
    const customer = await api.getCustomer(CONTRACT, '1');
    expect(customer?.customerCode).toBe('M1');
    expect(fake.tokensIssued(CONTRACT)).toBe(2);
    expect(fake.apiCalls(CONTRACT).map((c) => c.status)).toEqual([200, 401, 200]);
  });

  it('is refused for the whole contract after a 401 with a fresh token', async () => {
    const api = client();
    fake.fail({ status: 401, times: 2 });
    const error = await failureOf(api.getCustomer(CONTRACT, '1'));
    expect(error).toBeInstanceOf(SmaregiRefusedError);
    expect(error).toMatchObject({ status: 401, contractWide: true });
    expect(fake.apiCalls(CONTRACT).map((c) => c.status)).toEqual([401, 401]);
  });

  it('is fetched once for calls arriving together, and renewed once when they all meet a 401', async () => {
    const api = client();
    for (let i = 1; i <= 5; i += 1) fake.putCustomer(CONTRACT, { customerCode: `M${i}`, lastName: '山田', firstName: '花子' });
    const hold = fake.hold({ path: '/token' });
    const calls = Promise.all([1, 2, 3, 4, 5].map((i) => api.getCustomer(CONTRACT, String(i))));
    await hold.arrived;
    hold.release();
    expect((await calls).map((c) => c?.customerCode)).toEqual(['M1', 'M2', 'M3', 'M4', 'M5']);
    expect(fake.tokensIssued(CONTRACT)).toBe(1);
    fake.revokeTokens();
    await Promise.all([1, 2, 3].map((i) => api.getCustomer(CONTRACT, String(i))));
    expect(fake.tokensIssued(CONTRACT)).toBe(2);
  });

  it('is refused with wrong app credentials, and neither the secret nor a token shows in the error', async () => {
    const api = client({ SMAREGI_CLIENT_SECRET: 'not-the-secret' });
    const error = await failureOf(api.getCustomer(CONTRACT, '1'));
    expect(error).toBeInstanceOf(SmaregiRefusedError);
    expect(error).toMatchObject({ status: 401, detail: 'Client authentication failed', contractWide: true });
    expect((error as Error).message).not.toContain('not-the-secret');
    expect(fake.apiCalls(CONTRACT)).toHaveLength(0);
  });
});

describe('answers', () => {
  it('reads a transaction with its details, every number a string, unset fields null', async () => {
    fake.putTransaction(CONTRACT, {
      transactionHeadId: '28', customerId: 3, total: 1100, spendPoint: 100, pointDiscount: 100,
      details: [{ productCode: 'SKU-1', productName: 'コーヒー豆', salesPrice: 1200, quantity: 1, unitDiscountedSum: 1200 }],
    });
    const transaction = await client().getTransaction(CONTRACT, '28');
    expect(fake.apiCalls(CONTRACT)[0]!.query).toEqual({ with_details: 'all' });
    expect(transaction).toMatchObject({ transactionHeadId: '28', customerId: '3', total: '1100', spendPoint: '100', staffId: null, cancelDivision: '0' });
    expect(transaction?.details).toEqual([expect.objectContaining({ transactionDetailId: '1', productCode: 'SKU-1', salesPrice: '1200', quantity: '1', categoryId: null })]);
  });

  it('answers null for a transaction or customer Smaregi does not have', async () => {
    const api = client();
    expect(await api.getTransaction(CONTRACT, '404')).toBeNull();
    expect(await api.getCustomer(CONTRACT, '404')).toBeNull();
    expect(await api.findCustomerByCode(CONTRACT, 'NOPE')).toBeNull();
  });

  it('finds a customer by code and creates one', async () => {
    const api = client();
    const created = await api.createCustomer(CONTRACT, { customerCode: '2400000000017', lastName: '山田', firstName: '花子', mailAddress: 'hanako@example.com' });
    expect(created).toMatchObject({ customerId: '1', customerCode: '2400000000017', mailAddress: 'hanako@example.com', point: '0' });
    expect(await api.findCustomerByCode(CONTRACT, '2400000000017')).toMatchObject({ customerId: '1' });
    expect(fake.apiCalls(CONTRACT, 'GET')[0]!.query).toEqual({ customer_code: '2400000000017', limit: '10' });
  });

  it('refuses with Smaregi’s detail when a required field is missing', async () => {
    const error = await failureOf(client().createCustomer(CONTRACT, { customerCode: 'M1', lastName: '山田', firstName: '' }));
    expect(error).toBeInstanceOf(SmaregiRefusedError);
    expect(error).toMatchObject({ status: 400, detail: 'firstNameは必須です' });
  });

  it('sets a point field as a string and refuses for a customer that is gone or a plan without points', async () => {
    fake.putCustomer(CONTRACT, { customerCode: 'M1', lastName: '山田', firstName: '花子', point: 40 });
    const api = client();
    await api.setCustomerPoint(CONTRACT, '1', 250);
    expect(fake.apiCalls(CONTRACT, 'PATCH')[0]!.body).toEqual({ point: '250' });
    expect(fake.pointOf(CONTRACT, '1')).toBe(250);
    expect(await failureOf(api.setCustomerPoint(CONTRACT, '2', 10))).toMatchObject({ name: 'SmaregiRefusedError', status: 404, detail: '会員が存在しません', contractWide: false });
    fake.addContract(OTHER, { points: false });
    fake.putCustomer(OTHER, { customerCode: 'M1', lastName: '山田', firstName: '花子' });
    expect(await failureOf(api.setCustomerPoint(OTHER, '1', 10))).toMatchObject({ name: 'SmaregiRefusedError', status: 403, detail: 'ご利用のプランではポイント機能を利用できません', contractWide: true });
  });

  it('sends a bulk point update and gives its requestId as text', async () => {
    for (const code of ['M1', 'M2']) fake.putCustomer(CONTRACT, { customerCode: code, lastName: '山田', firstName: '花子' });
    const answer = await client().setCustomerPointsBulk(CONTRACT, [{ customerId: '1', point: 10 }, { customerId: '2', point: 0 }], 'https://loyalty.example.com/webhooks/smaregi/point-bulk-callback/t');
    expect(answer).toEqual({ requestId: String(fake.bulks(CONTRACT)[0]!.requestId) });
    expect(fake.bulks(CONTRACT)[0]!.customerPoints).toEqual([{ customerId: '1', point: '10' }, { customerId: '2', point: '0' }]);
  });

  it('refuses a transaction that is not shaped as the reference says', async () => {
    fake.putTransaction(CONTRACT, { transactionHeadId: '5', total: 'lots' });
    const error = await failureOf(client().getTransaction(CONTRACT, '5'));
    expect(error).toBeInstanceOf(SmaregiRefusedError);
    expect((error as SmaregiRefusedError).detail).toBe('total: must be a numeric string');
  });
});

describe('not now', () => {
  it('is a 429 with Retry-After in seconds or as an HTTP date', async () => {
    const api = client();
    fake.fail({ status: 429, retryAfter: '3' });
    expect(await failureOf(api.getCustomer(CONTRACT, '1'))).toMatchObject({ name: 'SmaregiUnavailableError', status: 429, retryAfterMs: 3000 });
    fake.fail({ status: 429, retryAfter: new Date(nowMs + 7000).toUTCString() });
    expect(await failureOf(api.getCustomer(CONTRACT, '1'))).toMatchObject({ status: 429, retryAfterMs: 7000 });
    fake.fail({ status: 429 });
    expect(await failureOf(api.getCustomer(CONTRACT, '1'))).toMatchObject({ status: 429, retryAfterMs: null });
    expect(await api.getCustomer(CONTRACT, '1')).toBeNull();
  });

  it('is a 5xx, and a 503 for maintenance with its Retry-After', async () => {
    const api = client();
    fake.fail({ status: 500 });
    const error = await failureOf(api.setCustomerPoint(CONTRACT, '1', 5));
    expect(error).toBeInstanceOf(SmaregiUnavailableError);
    expect(error).toMatchObject({ status: 500, retryAfterMs: null });
    fake.fail({ status: 503, retryAfter: '60' });
    expect(await failureOf(api.getTransaction(CONTRACT, '1'))).toMatchObject({ name: 'SmaregiUnavailableError', status: 503, retryAfterMs: 60_000 });
  });

  it('is no answer within SMAREGI_TIMEOUT_MS, or nobody listening', async () => {
    const hold = fake.hold({ path: '/customers/1' });
    const error = await failureOf(client({ SMAREGI_TIMEOUT_MS: '200' }).getCustomer(CONTRACT, '1'));
    hold.release();
    expect(error).toMatchObject({ name: 'SmaregiUnavailableError', status: null });
    expect((error as Error).message).toBe(`Smaregi GET (${CONTRACT}): no answer within 200 ms`);
    const down = await failureOf(client({ SMAREGI_API_BASE_URL: 'http://127.0.0.1:9' }).getCustomer(CONTRACT, '1'));
    expect(down).toBeInstanceOf(SmaregiUnavailableError);
    expect((down as Error).message).toBe(`Smaregi GET (${CONTRACT}): unreachable`);
  });
});

describe('the pace', () => {
  it('never sends more of a contract’s calls in a second than its limit', async () => {
    const api = client({}, { readsPerSecond: 20, writesPerSecond: 20 });
    await api.getCustomer(CONTRACT, '1');
    const started = fake.apiCalls(CONTRACT).length;
    await Promise.all(Array.from({ length: 30 }, () => api.getCustomer(CONTRACT, '1')));
    await until(() => fake.apiCalls(CONTRACT).length === started + 30);
    const times = fake.apiCalls(CONTRACT).map((c) => c.receivedAt);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(20);
  });
});
