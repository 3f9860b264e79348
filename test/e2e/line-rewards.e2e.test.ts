import { createHmac } from 'node:crypto';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { rewardsDriver } from '../helpers/rewards';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Redeeming a reward in the LINE chat end to end: signed webhook events into the line service, the points service's
 * redemption as the customer, the answers sent to a fake LINE API, the balance read back through the gateway.
 */
const SECRET = 'test-line-channel-secret';
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const TARO = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const ME = '{ me { points { balance } coupons { code state pointsCost } } }';

interface Sent {
  type: string;
  text?: string;
  altText?: string;
  contents?: { type: string; contents?: { footer?: { contents: { action: { data: string } }[] } }[]; body?: unknown };
}

let fake: FakeLineApi;
let system: TestSystem;
let storeId: string;
const { memberWith, createReward } = rewardsDriver(() => system, () => storeId);

const sign = (body: Buffer) => createHmac('sha256', SECRET).update(body).digest('base64');

function event(userId: string, id: string, replyToken: string, body: { message: string } | { postback: string }, isRedelivery = false): Buffer {
  const common = { replyToken, mode: 'active', timestamp: 1749969104072, source: { type: 'user', userId }, webhookEventId: id, deliveryContext: { isRedelivery } };
  const payload =
    'message' in body
      ? { ...common, type: 'message', message: { id: `m-${id}`, type: 'text', quoteToken: `q-${id}`, text: body.message } }
      : { ...common, type: 'postback', postback: { data: body.postback } };
  return Buffer.from(JSON.stringify({ destination: 'U4af4980629b8d2c37f0e1a5b6d9c3e27', events: [payload] }));
}

async function deliver(body: Buffer): Promise<void> {
  const response = await fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': sign(body) },
    body,
  });
  expect(response.status).toBe(200);
  await system.subgraphs.line.built.outbox.drain();
}

/** Every message LINE was asked to reply with, using this reply token (one reply expected). */
function replyWith(replyToken: string): Sent {
  const replies = fake.requests.filter((r) => r.path === '/v2/bot/message/reply' && r.status === 200 && (r.body as { replyToken?: string }).replyToken === replyToken);
  expect(replies).toHaveLength(1);
  const { messages } = replies[0]!.body as { messages: Sent[] };
  expect(messages).toHaveLength(1);
  return messages[0]!;
}


async function me(memberId: string) {
  type Me = { me: { points: { balance: number }; coupons: { code: string; state: string; pointsCost: number }[] } };
  return ok(await system.graphql<Me>(ME, {}, system.customerHeaders(memberId))).me;
}

async function link(userId: string, memberId: string): Promise<void> {
  await system.db.collection<{ _id: string }>('line_links').insertOne({ _id: userId, memberId, linkedAt: new Date(), friendStatus: 'FRIEND' } as never);
}

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_PUBLIC_BASE_URL: 'https://line.example.com' }, undefined, { runBackground: false });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('redeeming a reward in the LINE chat', () => {
  let rewardId: string;
  let hanako: string;

  it('shows a linked member the rewards they may redeem, each with its redeem button', async () => {
    rewardId = await createReward();
    hanako = await memberWith(1_000);
    await link(HANAKO, hanako);
    await deliver(event(HANAKO, '01JXRW0000000000000000RW01', 'reply-rewards-0001', { message: '特典' }));
    const message = replyWith('reply-rewards-0001');
    expect(message.type).toBe('flex');
    expect(message.altText).toBe('交換できる特典 1件、お持ちのクーポン 0枚（残高 1,000 pt）');
    expect(message.contents?.type).toBe('carousel');
    expect(message.contents?.contents?.[0]?.footer?.contents[0]?.action.data).toBe(`action=redeem_reward&reward=${rewardId}`);
  });

  it('redeems on the button: the coupon’s code in the reply, 500 points spent; the redelivered event redeems nothing more', async () => {
    const press = (isRedelivery: boolean) => event(HANAKO, '01JXRW0000000000000000RW02', 'reply-redeem-0001', { postback: `action=redeem_reward&reward=${rewardId}` }, isRedelivery);
    await deliver(press(false));
    const reply = replyWith('reply-redeem-0001');
    const after = await me(hanako);
    expect(after.points.balance).toBe(500);
    expect(after.coupons).toHaveLength(1);
    const [coupon] = after.coupons;
    expect(coupon).toEqual({ code: expect.any(String), state: 'ISSUED', pointsCost: 500 });
    expect(reply.altText).toMatch(/^クーポン「500円引き」を発行しました（\d{4}年\d{1,2}月\d{1,2}日\(.\)まで）。残り 500 pt$/);
    expect(JSON.stringify(reply.contents)).toContain(`"text":"${coupon!.code}"`);

    await deliver(press(true));
    expect(await me(hanako)).toEqual(after);
    await deliver(event(HANAKO, '01JXRW0000000000000000RW03', 'reply-rewards-0002', { message: 'coupons' }));
    expect(replyWith('reply-rewards-0002').altText).toBe('交換できる特典 1件、お持ちのクーポン 1枚（残高 500 pt）');
    expect(JSON.stringify(replyWith('reply-rewards-0002').contents)).toContain(`"text":"${coupon!.code}"`);
  });

  it('redeems once when the reply is lost after the coupon was issued and the queue runs the event again', async () => {
    const before = await me(hanako);
    fake.failNext('/v2/bot/message/reply', 500);
    await deliver(event(HANAKO, '01JXRW0000000000000000RW06', 'reply-redeem-0002', { postback: `action=redeem_reward&reward=${rewardId}` }));
    expect(await me(hanako)).toEqual({ points: { balance: 0 }, coupons: [expect.objectContaining({ state: 'ISSUED' }), ...before.coupons] });
    const issued = (await me(hanako)).coupons[0]!.code;
    await system.subgraphs.line.built.outbox.process('line-event:01JXRW0000000000000000RW06', { ignoreBackoff: true });
    const after = await me(hanako);
    expect(after.points.balance).toBe(0);
    expect(after.coupons.map((c) => c.code)).toEqual([issued, ...before.coupons.map((c) => c.code)]);
    expect(JSON.stringify(replyWith('reply-redeem-0002').contents)).toContain(`"text":"${issued}"`);
  });

  it('answers a member short of points with the refusal, and spends nothing', async () => {
    const taro = await memberWith(100);
    await link(TARO, taro);
    await deliver(event(TARO, '01JXRW0000000000000000RW04', 'reply-short-0001', { postback: `action=redeem_reward&reward=${rewardId}` }));
    expect(replyWith('reply-short-0001')).toEqual({
      type: 'text',
      text: 'ポイントが足りないため、この特典と交換できませんでした。ポイントは使われていません。（必要 500 pt・残高 100 pt）',
    });
    expect(await me(taro)).toEqual({ points: { balance: 100 }, coupons: [] });
  });

  it('answers a redeem button pressed in a group with the pointer to the one-to-one chat, redeeming nothing', async () => {
    const before = await me(hanako);
    const body = JSON.parse(event(HANAKO, '01JXRW0000000000000000RW07', 'reply-group-0001', { postback: `action=redeem_reward&reward=${rewardId}` }).toString('utf8')) as {
      events: { source: Record<string, string> }[];
    };
    body.events[0]!.source = { type: 'group', groupId: 'Ca56f94637cc4347f90a25382909b24b9', userId: HANAKO };
    await deliver(Buffer.from(JSON.stringify(body)));
    expect(replyWith('reply-group-0001').text).toMatch(/^ポイント・会員証・履歴・特典は、ご本人だけに見えるよう1対1のトークでお送りしています。/);
    expect(await me(hanako)).toEqual(before);
  });

  it('answers someone not linked with the link-first help, redeeming nothing', async () => {
    await deliver(event('Ucafebabe0000000000000000000000001', '01JXRW0000000000000000RW05', 'reply-guest-0001', { postback: `action=redeem_reward&reward=${rewardId}` }));
    expect(JSON.stringify(replyWith('reply-guest-0001').contents)).toContain('"data":"action=link_account"');
  });
});
