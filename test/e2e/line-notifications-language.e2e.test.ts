import { DAY_MS } from '@omo/lib/core/time';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { deliverLineEvent, ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Tier-up and points-expiring notifications in each member's LINE language, end to end: each member writes to the
 * account once (the line service reads their language from LINE's profile, which the fake LINE API answers as the
 * test sets), staff set the rules through the gateway, members buy, and the job (run on demand) sends through the
 * fake LINE API. The system's clock only moves when a test moves it.
 */
/** 10:30 in Japan, outside the default quiet hours. */
const START = new Date('2030-01-10T01:30:00.000Z');
const EMILY = 'U00000000000000000000000000e1111';
const KEN = 'U00000000000000000000000000a2222';
const SET_RULE = 'mutation($input: SetNotificationRuleInput!) { setNotificationRule(input: $input) { messages { text } messagesEn { text } } }';

let fake: FakeLineApi;
let system: TestSystem;
let now = START;
let storeId = '';
const ids: Record<string, string> = {};

const setRule = async (input: Record<string, unknown>) =>
  ok(await system.graphql<{ setNotificationRule: { messages: { text: string }[]; messagesEn: { text: string }[] | null } }>(SET_RULE, { input }, system.adminHeaders())).setNotificationRule;
const notifications = () => system.subgraphs.line.built.notifications;
const deliveries = () => system.subgraphs.line.built.deliveries;
const buy = async (memberId: string, yen: number) => {
  expect(await recordOneLinePurchase(system, { idempotencyKey: `${memberId}-${now.getTime()}-${yen}`, storeId, memberId, yen, occurredAt: now })).toBe('COMPLETED');
};

async function register(name: string, email: string): Promise<string> {
  return ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: name, email, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  ).registerMember.id;
}

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url }, undefined, { runBackground: false, clock: () => now });
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
  fake.profileLanguages.set(EMILY, 'en-US');
  fake.profileLanguages.set(KEN, 'ja');
  for (const [lineUserId, memberId] of [[EMILY, ids.emily], [KEN, ids.ken]] as const) {
    await system.db.collection<{ _id: string; memberId: string; linkedAt: Date; friendStatus: string }>('line_links').insertOne({ _id: lineUserId, memberId, linkedAt: now, friendStatus: 'FRIEND' });
    await deliverLineEvent(system, {
      type: 'message',
      message: { id: `7${lineUserId.slice(-17)}`, type: 'text', quoteToken: `q-${lineUserId}`, text: 'hello' },
      webhookEventId: `01JYNOTIFYLANG${lineUserId.slice(-12)}`,
      timestamp: now.getTime(),
      mode: 'active',
      source: { type: 'user', userId: lineUserId },
      replyToken: `reply-${lineUserId}`,
      deliveryContext: { isRedelivery: false },
    });
  }
  now = new Date(now.getTime() + 60_000);
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('notifications in the member’s language', () => {
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
    // the sign-up bonus and the points of the purchases above, all from the same day
    expect([emily, ken]).toEqual([{ points: 1_800, expiresAt: '2031-01-10T14:59:59.999Z' }, { points: 1_800, expiresAt: '2031-01-10T14:59:59.999Z' }]);
    const before = fake.sent().length;
    // two runs at once share the work however they interleave: each member is told once
    await Promise.all([notifications().run(), notifications().run()]);
    await deliveries().drain();
    const sent = fake.sent().slice(before).sort((a, b) => (a.to ?? '').localeCompare(b.to ?? ''));
    expect(sent).toEqual([
      { via: 'push', to: KEN, messages: [{ type: 'text', text: '山田健さま、1,800ポイントが2031年1月10日(金)に失効します。お早めにご利用ください。' }] },
      { via: 'push', to: EMILY, messages: [{ type: 'text', text: 'Emily Carter, 1,800 points expire on Fri, Jan 10, 2031. Use them before then.' }] },
    ]);
    const day = '2030-12-21';
    const made = await system.db.collection('line_deliveries').find({ idempotencyKey: { $regex: '^points-expiring:' } }, { projection: { idempotencyKey: 1 } }).toArray();
    expect(made.map((d) => d.idempotencyKey as string).sort()).toEqual([`points-expiring:${day}`, `points-expiring:${day}:en`]);

    // a run that died after making the day's deliveries, before it noted whom it told: the next run tells nobody again
    await system.db.collection('line_expiry_notices').deleteMany({});
    await system.db.collection('line_expiry_runs').deleteMany({});
    const japanese = made.find((d) => d.idempotencyKey === `points-expiring:${day}`)!._id as unknown as string;
    expect((await notifications().run()).pointsExpiring).toEqual({ day, deliveryId: japanese, members: 2 });
    await deliveries().drain();
    expect(fake.sent()).toHaveLength(before + 2);
    expect(await system.db.collection('line_expiry_notices').countDocuments()).toBe(2);

    // the same crash, and Emily set her LINE to Japanese since: her English delivery still counts her as told
    await system.db.collection('line_expiry_notices').deleteMany({});
    await system.db.collection('line_expiry_runs').deleteMany({});
    await system.db.collection<{ _id: string }>('line_users').updateOne({ _id: EMILY }, { $set: { language: 'ja' } });
    expect((await notifications().run()).pointsExpiring).toEqual({ day, deliveryId: japanese, members: 2 });
    await deliveries().drain();
    expect(fake.sent()).toHaveLength(before + 2);
    expect(await system.db.collection('line_expiry_notices').countDocuments({ memberId: { $in: [ids.emily, ids.ken] } })).toBe(2);
  });
});
