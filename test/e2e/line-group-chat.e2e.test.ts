import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { deliverLineEvent, ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The bot added to a LINE group or multi-person chat: whatever a linked member asks for there would be shown to
 * everyone in it, so personal answers only ever go to one-to-one chats. Signed webhook bodies, shaped as the
 * Messaging API reference documents group and room sources, into the line service; what it sent, from the fake.
 */
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const JIRO = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const GROUP = 'Ca56f94637c0a3f2e7d1b3a8f35b1c2e9';
const ROOM = 'Rb2c9e6f7a1d04c3e8f5a9b7d6c2e1f30';
const EMILY = 'U5f1e2d3c4b5a69788796a5b4c3d2e1f0';
const POINTER =
  'ポイント・会員証・履歴・特典は、ご本人だけに見えるよう1対1のトークでお送りしています。このアカウントとの1対1のトークで「ポイント」などと送ってください。';
const POINTER_EN =
  'Your points, card, history and rewards are shown only to you, in a one-to-one chat. Send "points" or the like to this account in a one-to-one chat.';

type Source = { type: 'group'; groupId: string; userId?: string } | { type: 'room'; roomId: string; userId?: string } | { type: 'user'; userId: string };

let fake: FakeLineApi;
let system: TestSystem;
let hanakoId = '';
let sequence = 0;

const inGroup = (userId?: string): Source => ({ type: 'group', groupId: GROUP, ...(userId ? { userId } : {}) });
const inRoom = (userId: string): Source => ({ type: 'room', roomId: ROOM, userId });

/** One event as LINE sends it, signed over the exact bytes, then the line service's queue processed. */
async function deliver(source: Source, body: Record<string, unknown>): Promise<string> {
  sequence += 1;
  const replyToken = `group-reply-${String(sequence).padStart(4, '0')}`;
  const event = {
    ...body,
    webhookEventId: `01JYGROUPCHAT${String(sequence).padStart(13, '0')}`,
    timestamp: Date.now(),
    mode: 'active',
    source,
    replyToken,
    deliveryContext: { isRedelivery: false },
  };
  await deliverLineEvent(system, event);
  return replyToken;
}

const text = (source: Source, value: string) =>
  deliver(source, { type: 'message', message: { id: `5${String(sequence).padStart(17, '0')}`, type: 'text', text: value, quoteToken: `q-${sequence}` } });
const postback = (source: Source, data: string) => deliver(source, { type: 'postback', postback: { data } });

/** Every message call LINE got after `from` (reply, push, link token), as the path and the messages; profile reads aside. */
const callsSince = (from: number) =>
  fake.requests
    .slice(from)
    .filter((r) => !r.path.startsWith('/v2/bot/profile/'))
    .map((r) => ({ path: r.path, ...(r.body && typeof r.body === 'object' && 'messages' in r.body ? { messages: r.body.messages } : {}) }));

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url }, undefined, { runBackground: false });
  hanakoId = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: '山田花子', phone: '090-0000-1234', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  ).registerMember.id;
  await system.db.collection<{ _id: string; memberId: string; linkedAt: Date; friendStatus: string }>('line_links').insertOne({ _id: HANAKO, memberId: hanakoId, linkedAt: new Date(), friendStatus: 'FRIEND' });
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('the LINE chat in groups and multi-person chats', () => {
  it.each([
    ['"ポイント" in a group', () => text(inGroup(HANAKO), 'ポイント')],
    ['"会員証" in a multi-person chat', () => text(inRoom(HANAKO), '会員証')],
    ['"履歴" from a user LINE does not name', () => text(inGroup(), '履歴')],
    ['the member-card postback in a group', () => postback(inGroup(HANAKO), 'action=show_member_card')],
    ['the points postback in a multi-person chat', () => postback(inRoom(HANAKO), 'action=show_points')],
  ])('answers %s with one short pointer to the one-to-one chat, never the balance or card', async (_what, send) => {
    const from = fake.requests.length;
    const replyToken = await send();
    expect(callsSince(from)).toEqual([{ path: '/v2/bot/message/reply', messages: [{ type: 'text', text: POINTER }] }]);
    expect((fake.requests.at(-1)!.body as { replyToken: string }).replyToken).toBe(replyToken);
  });

  it('pushes the pointer to the group, not to the member, when the reply token no longer works', async () => {
    fake.expiredReplyTokens.add(`group-reply-${String(sequence + 1).padStart(4, '0')}`);
    const from = fake.sent().length;
    await text(inGroup(HANAKO), 'ポイント');
    expect(fake.sent().slice(from)).toEqual([{ via: 'push', to: GROUP, messages: [{ type: 'text', text: POINTER }] }]);
  });

  it('points a link request in a group to the one-to-one chat without issuing a link token', async () => {
    const from = fake.requests.length;
    await text(inGroup(JIRO), '会員連携');
    await postback(inGroup(JIRO), 'action=link_account');
    expect(callsSince(from)).toEqual([
      { path: '/v2/bot/message/reply', messages: [{ type: 'text', text: POINTER }] },
      { path: '/v2/bot/message/reply', messages: [{ type: 'text', text: POINTER }] },
    ]);
  });

  it('does not take a link code sent in a group: no link, and the pointer', async () => {
    const jiro = ok(
      await system.graphql<{ registerMember: { id: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
        { input: { displayName: '佐藤次郎', phone: '090-0000-5678', registeredVia: 'ONLINE' } },
        system.staffHeaders(),
      ),
    ).registerMember.id;
    const { code } = ok(await system.graphql<{ issueLineLinkCode: { code: string } }>('mutation { issueLineLinkCode { code } }', {}, system.customerHeaders(jiro))).issueLineLinkCode;
    const from = fake.requests.length;
    await text(inGroup(JIRO), code);
    expect(callsSince(from)).toEqual([{ path: '/v2/bot/message/reply', messages: [{ type: 'text', text: POINTER }] }]);
    const account = await system.graphql<{ member: { lineAccount: unknown } }>('query($id: ID!) { member(id: $id) { lineAccount { linkedAt } } }', { id: jiro }, system.staffHeaders());
    expect(ok(account).member.lineAccount).toBeNull();
  });

  it('stays silent at other group talk, stickers and unknown postbacks', async () => {
    const from = fake.requests.length;
    await text(inGroup(HANAKO), 'ポイントカードをなくしたかも');
    await text(inGroup(JIRO), 'こんにちは');
    await text(inRoom(HANAKO), '明日の集合は10時で');
    await deliver(inGroup(HANAKO), { type: 'message', message: { id: '590000000000000001', type: 'sticker', packageId: '446', stickerId: '1988', stickerResourceType: 'STATIC' } });
    await postback(inGroup(HANAKO), 'action=something_else');
    expect(callsSince(from)).toEqual([]);
  });

  it('still answers the same member in the one-to-one chat with the balance', async () => {
    const from = fake.requests.length;
    await text({ type: 'user', userId: HANAKO }, 'ポイント');
    const calls = callsSince(from);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.messages).toEqual([expect.objectContaining({ type: 'flex', altText: expect.stringMatching(/^ポイント残高 100 pt/) })]);
    // the group's events never asked LINE for the profile: only the one-to-one chat did
    expect(fake.profileReads(HANAKO)).toBe(1);
  });

  it('points to the one-to-one chat in the language that chat learned, without asking LINE from the group', async () => {
    fake.profileLanguages.set(EMILY, 'en-US');
    await text(inGroup(EMILY), 'points');
    expect(fake.profileReads(EMILY)).toBe(0);
    expect(fake.sent().at(-1)!.messages).toEqual([{ type: 'text', text: POINTER }]);
    await text({ type: 'user', userId: EMILY }, 'hello');
    expect(fake.profileReads(EMILY)).toBe(1);
    const from = fake.requests.length;
    await text(inRoom(EMILY), 'points');
    expect(callsSince(from)).toEqual([{ path: '/v2/bot/message/reply', messages: [{ type: 'text', text: POINTER_EN }] }]);
    expect(fake.profileReads(EMILY)).toBe(1);
  });
});
