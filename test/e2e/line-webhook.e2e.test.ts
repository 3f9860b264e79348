import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { startTestSystem, type TestSystem } from '../helpers/system';

const FIXTURES = path.resolve(__dirname, '../fixtures/line');
const SECRET = 'test-line-channel-secret';
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';

const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const sign = (body: Buffer) => createHmac('sha256', SECRET).update(body).digest('base64');

let fake: FakeLineApi;
let system: TestSystem;

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url }, undefined, { runBackground: false });
});
afterAll(async () => {
  await system.close();
  await fake.close();
});

async function post(body: Buffer, signature: string | null = sign(body)): Promise<Response> {
  return fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'x-line-signature': signature } : {}) },
    body,
  });
}

const queued = () => system.db.collection('line_outbox').countDocuments();
const drain = () => system.subgraphs.line.built.outbox.drain();

describe('the LINE webhook', () => {
  it('answers LINE’s verification request (no events) with 200', async () => {
    const response = await post(fixture('webhook-verification.json'));
    expect(response.status).toBe(200);
  });

  it('refuses a missing, wrong or stale signature with 401 and queues nothing', async () => {
    const body = fixture('webhook-text-message.json');
    const before = await queued();
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, sign(Buffer.from('other bytes')))).status).toBe(401);
    const tampered = Buffer.from(body.toString('utf8').replace('ポイント', '残高'));
    expect((await post(tampered, sign(body))).status).toBe(401);
    expect(await queued()).toBe(before);
  });

  it('refuses a signed body that is not JSON, or not a callback, with 400 and queues nothing', async () => {
    const before = await queued();
    for (const text of ['not json', '{"events":{"webhookEventId":"01J0000000000000000000000"}}', '{"events":[{"webhookEventId":7}]}']) {
      const body = Buffer.from(text);
      const response = await post(body);
      expect([response.status, await response.json()]).toEqual([400, { message: 'invalid JSON' }]);
    }
    expect(await queued()).toBe(before);
  });

  it('processes an event once, however often LINE redelivers it', async () => {
    expect((await post(fixture('webhook-text-message.json'))).status).toBe(200);
    expect((await post(fixture('webhook-redelivered-text.json'))).status).toBe(200);
    expect((await post(fixture('webhook-text-message.json'))).status).toBe(200);
    const sentBefore = fake.sent().length;
    await drain();
    await drain();
    expect(fake.sent().length - sentBefore).toBe(1);
  });

  it('keeps an acknowledged event through a crash and processes it after the restart', async () => {
    const body = Buffer.from(fixture('webhook-follow.json').toString('utf8').replace(/"webhookEventId": "[^"]+"/, '"webhookEventId": "01JXNWCRASHTEST0000000000A"'));
    expect((await post(body)).status).toBe(200);
    await system.stop('line'); // the process dies right after answering LINE
    await system.restart('line');
    await drain();
    const user = await system.db.collection('line_users').findOne({ _id: HANAKO as never });
    expect(user).toMatchObject({ friendStatus: 'FRIEND' });
  });

  it('tracks follow and block per LINE user, ignoring a redelivered older event', async () => {
    expect((await post(fixture('webhook-unfollow.json'))).status).toBe(200);
    await drain();
    expect(await system.db.collection('line_users').findOne({ _id: HANAKO as never })).toMatchObject({ friendStatus: 'BLOCKED' });
    // the older follow, redelivered late under a new event id, must not unblock
    const lateFollow = Buffer.from(fixture('webhook-follow.json').toString('utf8').replace(/"webhookEventId": "[^"]+"/, '"webhookEventId": "01JXNWLATEFOLLOW000000000A"'));
    expect((await post(lateFollow)).status).toBe(200);
    await drain();
    expect(await system.db.collection('line_users').findOne({ _id: HANAKO as never })).toMatchObject({ friendStatus: 'BLOCKED' });
  });

  it('answers by push with an X-Line-Retry-Key when the reply token has expired, and only once', async () => {
    const body = Buffer.from(fixture('webhook-text-message.json').toString('utf8').replace(/"webhookEventId": "[^"]+"/, '"webhookEventId": "01JXNWEXPIREDTOKEN0000000A"').replace(/"replyToken": "[^"]+"/, '"replyToken": "expired-token-1"'));
    fake.expiredReplyTokens.add('expired-token-1');
    expect((await post(body)).status).toBe(200);
    await drain();
    const pushes = fake.requests.filter((r) => r.path === '/v2/bot/message/push');
    expect(pushes.at(-1)).toMatchObject({ status: 200, body: { to: HANAKO } });
    expect(pushes.at(-1)!.headers['x-line-retry-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps the language of a user first seen writing, and still follows their later block and follow', async () => {
    const WRITER = 'U0000000000000000000000000000abc';
    fake.profileLanguages.set(WRITER, 'en-GB');
    const asWriter = (name: string, id: string) =>
      Buffer.from(fixture(name).toString('utf8').replace(/"webhookEventId": "[^"]+"/, `"webhookEventId": "${id}"`).replaceAll(HANAKO, WRITER));
    expect((await post(asWriter('webhook-text-message.json', '01JXNWFIRSTWRITER00000000A'))).status).toBe(200);
    await drain();
    // no follow seen yet: no friend status of its own (the link's, or FRIEND, stands), and any follow or block overrides it
    const seen = await system.db.collection('line_users').findOne({ _id: WRITER as never });
    expect(seen).toMatchObject({ statusAt: 0, language: 'en-GB' });
    expect(seen).not.toHaveProperty('friendStatus');
    expect((await post(asWriter('webhook-unfollow.json', '01JXNWWRITERBLOCKS0000000A'))).status).toBe(200);
    await drain();
    expect(await system.db.collection('line_users').findOne({ _id: WRITER as never })).toMatchObject({ friendStatus: 'BLOCKED', statusAt: 1750413493460, language: 'en-GB' });
  });
});
