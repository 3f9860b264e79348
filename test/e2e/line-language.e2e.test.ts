import { DAY_MS } from '@omo/lib/core/time';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { rewardsDriver } from '../helpers/rewards';
import { deliverLineEvent, ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Answers in the customer's language end to end: signed events into /line/webhook, the line service reading each
 * user's language from LINE's profile (the fake LINE API answers what a test sets), the replies and pushes LINE was
 * asked to send. The system's clock only moves when a test moves it.
 */
/** 10:30 in Japan, outside the default quiet hours. */
const START = new Date('2030-01-10T01:30:00.000Z');
const LIFF_ID = '1234567890-AbcdEfgh';
const MEMBER_PAGE = `https://liff.line.me/${LIFF_ID}`;
const PUBLIC_BASE = 'https://line.example.com';
const EMILY = 'U00000000000000000000000000e1111';
const KEN = 'U00000000000000000000000000a2222';
const ALEX = 'U00000000000000000000000000a3333';
const NOBODY = 'U00000000000000000000000000a4444';
const FLAKY = 'U00000000000000000000000000a5555';

interface Sent {
  type: string;
  text?: string;
  altText?: string;
  contents?: unknown;
  template?: { type: string; text: string; actions: { type: string; label: string; uri?: string }[] };
}

interface Component {
  type: string;
  text?: string;
  contents?: Component[];
  action?: { type: string; label?: string; uri?: string; displayText?: string };
}

let fake: FakeLineApi;
let system: TestSystem;
let now = START;
let storeId = '';
let sequence = 0;
const ids: Record<string, string> = {};
const { createReward } = rewardsDriver(() => system, () => storeId);

/** One message or postback from a user in a one-to-one chat, as LINE sends it; the messages LINE was asked to reply. */
async function send(userId: string, body: { text: string } | { postback: string }): Promise<Sent[]> {
  sequence += 1;
  const replyToken = `language-reply-${String(sequence).padStart(4, '0')}`;
  const common = {
    webhookEventId: `01JYLANGUAGE${String(sequence).padStart(14, '0')}`,
    timestamp: now.getTime(),
    mode: 'active',
    source: { type: 'user', userId },
    replyToken,
    deliveryContext: { isRedelivery: false },
  };
  await deliverLineEvent(
    system,
    'text' in body
      ? { ...common, type: 'message', message: { id: `7${String(sequence).padStart(17, '0')}`, type: 'text', quoteToken: `q-${sequence}`, text: body.text } }
      : { ...common, type: 'postback', postback: { data: body.postback } },
  );
  const replies = fake.requests.filter((r) => r.path === '/v2/bot/message/reply' && r.status === 200 && (r.body as { replyToken?: string }).replyToken === replyToken);
  expect(replies).toHaveLength(1);
  return (replies[0]!.body as { messages: Sent[] }).messages;
}

async function only(userId: string, body: { text: string } | { postback: string }): Promise<Sent> {
  const messages = await send(userId, body);
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

/** What a customer reads in a Flex message: its texts, in order, bubble by bubble. */
function textsOf(message: Sent): string[] {
  const all: string[] = [];
  const visit = (c: Component | undefined) => {
    if (!c) return;
    if (c.type === 'text' && c.text !== undefined) all.push(c.text);
    c.contents?.forEach(visit);
  };
  const container = message.contents as { type: string; contents?: Record<string, Component>[] } & Record<string, Component>;
  for (const bubble of container.type === 'carousel' ? container.contents! : [container]) [bubble.header, bubble.hero, bubble.body, bubble.footer].forEach(visit);
  return all;
}

/** The buttons a customer can press in a Flex message, as their labels (and a URI button's address). */
function buttonsOf(message: Sent): string[] {
  const all: string[] = [];
  const visit = (c: Component | undefined) => {
    if (!c) return;
    if (c.type === 'button' && c.action) all.push(c.action.type === 'uri' ? `${c.action.label} → ${c.action.uri}` : c.action.label!);
    c.contents?.forEach(visit);
  };
  const container = message.contents as { type: string; contents?: Record<string, Component>[] } & Record<string, Component>;
  for (const bubble of container.type === 'carousel' ? container.contents! : [container]) [bubble.header, bubble.body, bubble.footer].forEach(visit);
  return all;
}

async function register(name: string, email: string): Promise<string> {
  return ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: name, email, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  ).registerMember.id;
}

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_PUBLIC_BASE_URL: PUBLIC_BASE, LIFF_ID }, undefined, { runBackground: false, clock: () => now });
  storeId = ok(
    await system.graphql<{ createStore: { id: string } }>(
      'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' } },
      system.adminHeaders(),
    ),
  ).createStore.id;
  ids.emily = await register('Emily Carter', 'emily@example.com');
  ids.ken = await register('山田健', 'ken@example.com');
  await system.subgraphs.members.built.outbox.drain(); // sign-up bonuses: 100 points each
  for (const [lineUserId, memberId] of [[EMILY, ids.emily], [KEN, ids.ken]] as const) {
    await system.db.collection<{ _id: string; memberId: string; linkedAt: Date; friendStatus: string }>('line_links').insertOne({ _id: lineUserId, memberId: memberId, linkedAt: now, friendStatus: 'FRIEND' });
  }
  fake.profileLanguages.set(EMILY, 'en');
  fake.profileLanguages.set(ALEX, 'en-US');
  fake.profileLanguages.set(KEN, 'ja');
  fake.profileLanguages.set(NOBODY, null);
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('a member whose LINE is in English', () => {
  it('gets the points card in English only, with the member page', async () => {
    const expiring = ok(
      await system.graphql<{ member: { points: { expiring: { points: number; expiresAt: string }[] } } }>(
        'query($id: ID!) { member(id: $id) { points { expiring { points expiresAt } } } }',
        { id: ids.emily },
        system.staffHeaders(),
      ),
    ).member.points.expiring;
    expect(expiring).toEqual([{ points: 100, expiresAt: '2031-01-10T14:59:59.999Z' }]);

    const message = await only(EMILY, { text: 'points' });
    expect(message.altText).toBe('Points balance 100 pt (pending 0 pt), Regular tier, 100 pt expiring on Fri, Jan 10, 2031');
    expect(textsOf(message)).toEqual([
      'Points balance',
      'Emily Carter',
      '100',
      'pt',
      'Pending',
      '0 pt',
      'Tier',
      'Regular',
      '¥50,000 more in purchases to Silver',
      'Points expiring soon',
      '100 pt (until Fri, Jan 10, 2031)',
    ]);
    expect(buttonsOf(message)).toEqual(['Member card', 'History', `Member page → ${MEMBER_PAGE}`]);
    // the language came from LINE's profile once, and is kept on line_users
    expect(fake.profileReads(EMILY)).toBe(1);
    expect(await system.db.collection('line_users').findOne({ _id: EMILY as never })).toMatchObject({ language: 'en', languageReadAt: START });
  });

  it('gets the member card, the history and help in English, without LINE being asked again', async () => {
    const card = await only(EMILY, { text: '会員証' });
    expect(card.altText).toBe('Your member card. Open the chat to show the barcode.');
    expect(textsOf(card)).toEqual([
      'Member card',
      'Emily Carter',
      'Member number',
      expect.stringMatching(/^\d{4} \d{4} \d{4} \d$/),
      'Show this screen at the register. The barcode can be shown until 10:45 (Japan time).',
    ]);
    expect(buttonsOf(card)).toEqual(['Show barcode again', `Member page → ${MEMBER_PAGE}`]);

    const history = await only(EMILY, { postback: 'action=show_history' });
    expect(history.altText).toBe('Points history: 2030/1/10 Bonus +100 pt');
    expect(textsOf(history)).toEqual(['Points history', 'Latest 1', '2030/1/10', 'Bonus', '+100 pt']);

    const help = await only(EMILY, { text: 'hello' });
    expect(help.altText).toBe('What would you like to see: points / card / history / rewards');
    expect(textsOf(help)).toEqual(['What would you like to see? You can also send "points", "card", "history" or "rewards".']);
    expect(buttonsOf(help)).toEqual(['Points', 'Member card', 'History', 'Rewards', `Member page → ${MEMBER_PAGE}`]);
    expect(fake.profileReads(EMILY)).toBe(1);
  });

  it('gets the rewards by their English names, and the coupon redeemed in English', async () => {
    const rewardId = await createReward({ nameJa: '100円引き', nameEn: '¥100 off', pointsCost: 100, benefit: { kind: 'YEN_OFF', yenOff: 100 } });
    const rewards = await only(EMILY, { text: 'rewards' });
    expect(rewards.altText).toBe('1 reward to redeem, 0 coupons held (balance 100 pt)');
    expect(textsOf(rewards)).toEqual(['Reward', '¥100 off', 'Points needed', '100 pt', 'You get', '¥100 off', 'Your coupons', '0 coupons', 'You have no coupons']);
    expect(buttonsOf(rewards)).toEqual(['Redeem']);

    const redeemed = await only(EMILY, { postback: `action=redeem_reward&reward=${rewardId}` });
    expect(redeemed.altText).toMatch(/^Coupon "¥100 off" issued \(valid until [A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, 20\d\d\)\. 0 pt left$/);
    expect(textsOf(redeemed).slice(0, 3)).toEqual(['Your coupon', '¥100 off', 'Coupon code']);
    expect(textsOf(redeemed).slice(4)).toEqual([
      'Valid until',
      expect.stringMatching(/^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, 20\d\d$/),
      'Points used',
      '100 pt',
      'Points left',
      '0 pt',
      'Show this code at the register, or enter it at the online checkout.',
    ]);

    const refused = await only(EMILY, { postback: `action=redeem_reward&reward=${rewardId}` });
    expect(refused).toEqual({ type: 'text', text: 'Not enough points for this reward. No points were used. (needs 100 pt, balance 0 pt)' });
  });
});

describe('someone not linked whose LINE is in English ("en-US")', () => {
  it('gets help and the link invitation in English, and a link page in English', async () => {
    const help = await only(ALEX, { text: 'points' });
    expect(help.altText).toBe('Link your membership to see your points, member card and rewards in LINE.');
    expect(textsOf(help)).toEqual(['Link your membership to see your points, member card and rewards here.', 'Not a member yet? Join on the member page.']);
    expect(buttonsOf(help)).toEqual(['Link membership', `Member page → ${MEMBER_PAGE}`]);

    const [invitation, code] = await send(ALEX, { text: 'link' });
    const pageUrl = invitation!.template!.actions[0]!.uri!;
    expect(pageUrl).toMatch(/^https:\/\/line\.example\.com\/line\/link\?linkToken=lt-[0-9a-f]+&lang=en$/);
    expect(invitation).toEqual({
      type: 'template',
      altText: `Link your membership here: ${pageUrl}`,
      template: {
        type: 'buttons',
        text: 'Link your LINE account with your member number and registered phone or e-mail (valid 10 minutes). Not a member yet? Join on the member page.',
        actions: [
          { type: 'uri', label: 'Link membership', uri: pageUrl },
          { type: 'uri', label: 'Member page', uri: MEMBER_PAGE },
        ],
      },
    });
    expect(code).toEqual({ type: 'text', text: 'You can also link by sending the 8-character link code from your online store account page to this chat.' });

    const page = await fetch(`${system.subgraphs.line.url}${new URL(pageUrl).pathname}${new URL(pageUrl).search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-language')).toBe('en');
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>Link your LINE account</h1>');
    expect(html).toContain('<label for="memberCode">Member number (13 digits)</label>');
    expect(html).toContain('<input type="hidden" name="lang" value="en">');
    expect(html).toContain('<button type="submit">Link</button>');
    expect(html).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);

    // a wrong member code is answered in the language the form posted back
    const linkToken = new URL(pageUrl).searchParams.get('linkToken')!;
    const wrong = await fetch(`${system.subgraphs.line.url}/line/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' },
      body: new URLSearchParams({ linkToken, lang: 'en', memberCode: '2900000000000', contact: 'nobody@example.com' }),
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('<div class="error" role="alert"><p>The member number and the phone number or e-mail address do not match. Please check them.</p></div>');
  });

  it('gets the page in the browser’s language when the link has none, and in Japanese when the browser says nothing either', async () => {
    const page = (headers: Record<string, string>) => fetch(`${system.subgraphs.line.url}/line/link?linkToken=expired-or-unknown`, { headers }).then(async (r) => ({ status: r.status, html: await r.text() }));
    const invalidEn = '<p>This link is invalid or has expired (10 minutes). Send “link” in the LINE chat to get a new one.</p>';
    const invalidJa = '<p>このリンクは無効か、有効期限（10分）が切れています。LINEのトークで「会員連携」と送って、もう一度お試しください。</p>';
    expect(await page({ 'accept-language': 'en-US,en;q=0.9,ja;q=0.8' })).toEqual({ status: 410, html: expect.stringContaining(invalidEn) });
    expect(await page({ 'accept-language': 'ja;q=0.5, fr-CH' })).toEqual({ status: 410, html: expect.stringContaining(invalidEn) });
    expect(await page({ 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' })).toEqual({ status: 410, html: expect.stringContaining(invalidJa) });
    expect(await page({ 'accept-language': '*' })).toEqual({ status: 410, html: expect.stringContaining(invalidJa) });
    expect(await page({})).toEqual({ status: 410, html: expect.stringContaining('<html lang="ja">') });
  });
});

describe('a LINE in Japanese, or a language LINE cannot tell', () => {
  it('answers "ja" in Japanese', async () => {
    const message = await only(KEN, { text: 'ポイント' });
    expect(message.altText).toBe('ポイント残高 100 pt（付与予定 0 pt）、レギュラーランク、100 ptが2031年1月10日(金)に失効予定');
    expect(buttonsOf(message)).toEqual(['会員証', '履歴', `会員ページ → ${MEMBER_PAGE}`]);
  });

  it('answers in Japanese when the profile has no language', async () => {
    const message = await only(NOBODY, { text: 'help' });
    expect(textsOf(message)).toEqual(['会員連携をすると、ポイント残高や会員証、特典をこのトークで確認できます。', 'まだ会員でない方は、会員ページからご入会いただけます。']);
    expect(await system.db.collection('line_users').findOne({ _id: NOBODY as never })).toMatchObject({ language: null, statusAt: 0 });
  });

  it('answers in Japanese when LINE cannot give the profile, and asks again on a later event, not on every one', async () => {
    fake.profileLanguages.set(FLAKY, 'en');
    fake.failNext(`/v2/bot/profile/${FLAKY}`, 500);
    expect((await only(FLAKY, { text: 'points' })).altText).toBe('会員連携をすると、ポイント残高や会員証、特典をLINEで確認できます。');
    expect((await only(FLAKY, { text: 'points' })).altText).toBe('会員連携をすると、ポイント残高や会員証、特典をLINEで確認できます。');
    expect(fake.profileReads(FLAKY)).toBe(1);
    now = new Date(now.getTime() + 11 * 60_000);
    expect((await only(FLAKY, { text: 'points' })).altText).toBe('Link your membership to see your points, member card and rewards in LINE.');
    expect(fake.profileReads(FLAKY)).toBe(2);
  });

  it('follows a change of LINE’s language once what it knows is a few days old', async () => {
    fake.profileLanguages.set(EMILY, 'ja');
    const readsBefore = fake.profileReads(EMILY);
    now = new Date(START.getTime() + 2 * DAY_MS);
    expect((await only(EMILY, { text: 'hello' })).altText).toBe('What would you like to see: points / card / history / rewards');
    now = new Date(START.getTime() + 3 * DAY_MS + 60_000);
    expect((await only(EMILY, { text: 'hello' })).altText).toBe('ご用件をお選びください: ポイント / 会員証 / 履歴 / 特典');
    expect(fake.profileReads(EMILY)).toBe(readsBefore + 1);
    fake.profileLanguages.set(EMILY, 'en');
    now = new Date(now.getTime() + 3 * DAY_MS + 60_000);
    expect((await only(EMILY, { text: 'hello' })).altText).toBe('What would you like to see: points / card / history / rewards');
  });
});

describe('notifications', () => {
  const SET_RULE = 'mutation($input: SetNotificationRuleInput!) { setNotificationRule(input: $input) { messages { text } messagesEn { text } } }';
  const setRule = async (input: Record<string, unknown>) =>
    ok(await system.graphql<{ setNotificationRule: { messages: { text: string }[]; messagesEn: { text: string }[] | null } }>(SET_RULE, { input }, system.adminHeaders())).setNotificationRule;
  const notifications = () => system.subgraphs.line.built.notifications;
  const deliveries = () => system.subgraphs.line.built.deliveries;
  const buy = async (memberId: string, yen: number) => {
    expect(await recordOneLinePurchase(system, { idempotencyKey: `${memberId}-${now.getTime()}-${yen}`, storeId, memberId, yen, occurredAt: now })).toBe('COMPLETED');
  };

  it('tell a member whose LINE is in English of a tier-up in English, a Japanese member in Japanese', async () => {
    expect(await setRule({ kind: 'TIER_UP', enabled: true })).toEqual({
      messages: [{ text: '{displayName}さま、会員ランクが{tier}になりました。いつもご利用いただきありがとうございます。' }],
      messagesEn: [{ text: '{displayName}, you have reached the {tier} tier. Thank you for shopping with us.' }],
    });
    now = new Date(now.getTime() + 60_000);
    await notifications().run(); // the tiers as they are when the rule is on: nothing to announce
    await buy(ids.emily!, 60_000);
    await buy(ids.ken!, 60_000);
    now = new Date(now.getTime() + 60_000);
    const before = fake.sent().length;
    expect((await notifications().run()).tierUp).toEqual({ checked: 2, notified: 2 });
    await deliveries().drain();
    const sent = fake.sent().slice(before).sort((a, b) => (a.to ?? '').localeCompare(b.to ?? ''));
    expect(sent).toEqual([
      { via: 'push', to: KEN, messages: [{ type: 'text', text: '山田健さま、会員ランクがシルバーになりました。いつもご利用いただきありがとうございます。' }] },
      { via: 'push', to: EMILY, messages: [{ type: 'text', text: 'Emily Carter, you have reached the Silver tier. Thank you for shopping with us.' }] },
    ]);
  });

  it('send staff’s own words as written, and their English variant to English members once staff write one', async () => {
    expect(await setRule({ kind: 'TIER_UP', messages: [{ text: '{displayName}さま、{tier}会員になりました' }] })).toEqual({ messages: [{ text: '{displayName}さま、{tier}会員になりました' }], messagesEn: null });
    expect(await setRule({ kind: 'TIER_UP', messagesEn: [{ text: '{displayName}, welcome to {tier}' }] })).toEqual({
      messages: [{ text: '{displayName}さま、{tier}会員になりました' }],
      messagesEn: [{ text: '{displayName}, welcome to {tier}' }],
    });
    await buy(ids.emily!, 100_000);
    await buy(ids.ken!, 100_000);
    now = new Date(now.getTime() + 60_000);
    const before = fake.sent().length;
    await notifications().run();
    await deliveries().drain();
    const sent = fake.sent().slice(before).sort((a, b) => (a.to ?? '').localeCompare(b.to ?? ''));
    expect(sent).toEqual([
      { via: 'push', to: KEN, messages: [{ type: 'text', text: '山田健さま、ゴールド会員になりました' }] },
      { via: 'push', to: EMILY, messages: [{ type: 'text', text: 'Emily Carter, welcome to Gold' }] },
    ]);
    expect(await setRule({ kind: 'TIER_UP', messagesEn: [] })).toEqual({ messages: [{ text: '{displayName}さま、{tier}会員になりました' }], messagesEn: null });
  });

  it('refuse an English variant LINE would refuse, and change nothing', async () => {
    const response = await system.graphql(SET_RULE, { input: { kind: 'TIER_UP', messagesEn: Array.from({ length: 6 }, () => ({ text: 'x' })) } }, system.adminHeaders());
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messagesEn' });
    expect(response.errors?.[0]?.message).toMatch(/at most 5 messages/);
    const rules = ok(await system.graphql<{ notificationRules: { kind: string; revision: number }[] }>('{ notificationRules { kind revision } }', {}, system.adminHeaders()));
    expect(rules.notificationRules.find((r) => r.kind === 'TIER_UP')?.revision).toBe(4);
  });

  it('tell of expiring points in each member’s language, one delivery per language, once however often the job runs', async () => {
    const soonest = async (memberId: string) =>
      ok(
        await system.graphql<{ member: { points: { expiring: { points: number; expiresAt: string }[] } } }>(
          'query($id: ID!) { member(id: $id) { points { expiring { points expiresAt } } } }',
          { id: memberId },
          system.staffHeaders(),
        ),
      ).member.points.expiring[0];
    now = new Date(START.getTime() + 345 * DAY_MS); // 10:30 in Japan
    await setRule({ kind: 'POINTS_EXPIRING', enabled: true, daysBefore: 30 });
    const [emily, ken] = [await soonest(ids.emily!), await soonest(ids.ken!)];
    expect([emily, ken]).toEqual([{ points: 1_700, expiresAt: '2031-01-16T14:59:59.999Z' }, { points: 100, expiresAt: '2031-01-10T14:59:59.999Z' }]);
    const before = fake.sent().length;
    const [first] = await Promise.all([notifications().run(), notifications().run()]);
    await deliveries().drain();
    expect(first.pointsExpiring).toMatchObject({ members: 2 });
    const sent = fake.sent().slice(before).sort((a, b) => (a.to ?? '').localeCompare(b.to ?? ''));
    expect(sent).toEqual([
      { via: 'push', to: KEN, messages: [{ type: 'text', text: '山田健さま、100ポイントが2031年1月10日(金)に失効します。お早めにご利用ください。' }] },
      { via: 'push', to: EMILY, messages: [{ type: 'text', text: 'Emily Carter, 1,700 points expire on Thu, Jan 16, 2031. Use them before then.' }] },
    ]);
    expect(await system.db.collection('line_deliveries').countDocuments({ idempotencyKey: { $regex: '^points-expiring:' } })).toBe(2);

    // a run that died after making the day's deliveries, before it noted whom it told: the next run tells nobody again
    await system.db.collection('line_expiry_notices').deleteMany({});
    await system.db.collection('line_expiry_runs').deleteMany({});
    expect((await notifications().run()).pointsExpiring).toMatchObject({ deliveryId: first.pointsExpiring.deliveryId, members: 2 });
    await deliveries().drain();
    expect(fake.sent()).toHaveLength(before + 2);
    expect(await system.db.collection('line_expiry_notices').countDocuments()).toBe(2);
  });
});
