import { createHmac } from 'node:crypto';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A receipt code sent in the LINE chat: a POS key records a guest sale through the gateway, the customer sends the
 * printed code as text (LINE's signed webhook into the line service), the line service claims it for the linked
 * member from purchases, and the answer goes to a fake LINE API; the points are read back through the gateway.
 */
const SECRET = 'test-line-channel-secret';
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const TARO = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const STRANGER = 'Ucafebabe0000000000000000000000001';
const RECORD = 'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id receiptClaim { code } } }';
const ME = '{ me { points { balance history(first: 10) { nodes { type amount purchaseId } } } } }';

interface Sent {
  type: string;
  text?: string;
  altText?: string;
  contents?: unknown;
}
type Me = { me: { points: { balance: number; history: { nodes: { type: string; amount: number; purchaseId: string | null }[] } } } };

let fake: FakeLineApi;
let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;
let sequence = 0;
const now = new Date('2026-06-01T03:00:00.000Z');

const sign = (body: Buffer) => createHmac('sha256', SECRET).update(body).digest('base64');

/** A text message event as LINE sends it; `group`: said in a group chat. */
function textEvent(userId: string, text: string, group = false): { body: Buffer; replyToken: string } {
  sequence += 1;
  const id = `01JXRC00000000000000000${String(sequence).padStart(3, '0')}`;
  const replyToken = `reply-receipt-${sequence}`;
  const source = group ? { type: 'group', groupId: 'Ca56f94637cc4347f90a25382909b24b9', userId } : { type: 'user', userId };
  const event = { type: 'message', replyToken, mode: 'active', timestamp: 1780282800000, source, webhookEventId: id, deliveryContext: { isRedelivery: false }, message: { id: `m-${id}`, type: 'text', quoteToken: `q-${id}`, text } };
  return { body: Buffer.from(JSON.stringify({ destination: 'U4af4980629b8d2c37f0e1a5b6d9c3e27', events: [event] })), replyToken };
}

/** Sends the text as the user and returns the one message LINE was asked to reply with. */
async function say(userId: string, text: string, group = false): Promise<Sent> {
  const { body, replyToken } = textEvent(userId, text, group);
  const response = await fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': sign(body) },
    body,
  });
  expect(response.status).toBe(200);
  await system.subgraphs.line.built.outbox.drain();
  const replies = fake.requests.filter((r) => r.path === '/v2/bot/message/reply' && r.status === 200 && (r.body as { replyToken?: string }).replyToken === replyToken);
  expect(replies).toHaveLength(1);
  const { messages } = replies[0]!.body as { messages: Sent[] };
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

async function guestSale(yen: number): Promise<{ id: string; code: string }> {
  sequence += 1;
  const input = { idempotencyKey: `line-guest-${sequence}`, storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen };
  const { recordPurchase } = ok(await system.graphql<{ recordPurchase: { id: string; receiptClaim: { code: string } } }>(RECORD, { input }, pos));
  return { id: recordPurchase.id, code: recordPurchase.receiptClaim.code };
}

async function linkedMember(userId: string): Promise<string> {
  sequence += 1;
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: `会員${sequence}`, phone: `090-3000-${String(1000 + sequence)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    system.staffHeaders(),
  );
  const memberId = ok(registered).registerMember.id;
  await system.db.collection<{ _id: string }>('line_links').insertOne({ _id: userId, memberId, linkedAt: new Date(), friendStatus: 'FRIEND' } as never);
  return memberId;
}

async function earnedFor(memberId: string, purchaseId: string) {
  const { me } = ok(await system.graphql<Me>(ME, {}, system.customerHeaders(memberId)));
  return { balance: me.points.balance, entries: me.points.history.nodes.filter((n) => n.purchaseId === purchaseId) };
}

/** As people type it from a receipt: full-width, lower case, spaced instead of hyphenated. */
const typedFullWidth = (code: string) =>
  code
    .toLowerCase()
    .replace(/-/g, ' ')
    .replace(/[0-9a-z ]/g, (c) => (c === ' ' ? '\u3000' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_PUBLIC_BASE_URL: 'https://line.example.com' }, undefined, { runBackground: false, clock: () => now });
  storeId = ok(await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } }, system.adminHeaders())).createStore.id;
  pos = await system.posHeaders([storeId]);
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('claiming a receipt in the LINE chat', () => {
  it('earns the purchase’s points once for the linked member; sent again, or by another member, it is refused', async () => {
    const sale = await guestSale(5_000);
    const hanako = await linkedMember(HANAKO);
    const taro = await linkedMember(TARO);
    const before = await earnedFor(hanako, sale.id);

    expect(await say(HANAKO, typedFullWidth(sale.code))).toEqual({ type: 'text', text: '2026年6月1日(月)のお買い物（5,000円）のポイント 50 pt を付与しました。' });
    expect(await earnedFor(hanako, sale.id)).toEqual({ balance: before.balance + 50, entries: [{ type: 'EARN', amount: 50, purchaseId: sale.id }] });

    expect(await say(HANAKO, sale.code)).toEqual({ type: 'text', text: 'このレシートのポイントは、すでにお客さまに付与されています。' });
    expect(await say(TARO, sale.code)).toEqual({ type: 'text', text: 'このレシートのポイントは、すでに受け取られています。' });
    expect(await earnedFor(hanako, sale.id)).toEqual({ balance: before.balance + 50, entries: [{ type: 'EARN', amount: 50, purchaseId: sale.id }] });
    expect((await earnedFor(taro, sale.id)).entries).toEqual([]);
  });

  it('asks someone not linked to link first, and says nothing of the code in a group: neither uses it', async () => {
    const sale = await guestSale(2_000);
    const guestReply = await say(STRANGER, sale.code);
    expect(guestReply.altText).toBe('レシートのポイントを受け取るには会員連携が必要です。');
    expect(JSON.stringify(guestReply.contents)).toContain('"data":"action=link_account"');

    const owner = await linkedMember('U00000000000000000000000000000c01');
    expect((await say('U00000000000000000000000000000c01', sale.code, true)).text).toMatch(/^ポイント・会員証・履歴・特典は、ご本人だけに見えるよう1対1のトークでお送りしています。/);
    expect((await earnedFor(owner, sale.id)).entries).toEqual([]);
    expect(await system.db.collection('receipt_claims').countDocuments({})).toBe(1);

    expect((await say('U00000000000000000000000000000c01', sale.code)).text).toBe('2026年6月1日(月)のお買い物（2,000円）のポイント 20 pt を付与しました。');
  });

  it('catches a mistyped code, and an unknown one, without earning', async () => {
    const sale = await guestSale(1_000);
    const member = await linkedMember('U00000000000000000000000000000c02');
    const typo = sale.code.slice(0, 1) + (sale.code[1] === 'A' ? 'B' : 'A') + sale.code.slice(2);
    expect((await say('U00000000000000000000000000000c02', typo)).text).toBe('レシートのコードに誤りがあるようです。12文字を確かめてもう一度送ってください。');
    expect((await say('U00000000000000000000000000000c02', '2222-2222-2222')).text).toBe('このコードのレシートは見つかりませんでした。レシートのコードをご確認ください。');
    expect((await earnedFor(member, sale.id)).entries).toEqual([]);
  });
});
