import { DAY_MS, JST_OFFSET_MS } from '@omo/lib/core/time';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Tier-up and points-expiring notifications end to end: staff turn the rules on through the gateway, members buy
 * through the purchases service, and the line service's job (run here on demand, as the background runs it) sends
 * through the fake LINE API. The system's clock only moves when a test moves it.
 */
/** 10:30 in Japan: after the expiring-points hour, outside the default quiet hours (21:00-09:00). */
const START = new Date('2030-01-10T01:30:00.000Z');

interface LineLinkRow {
  _id: string;
  memberId: string;
  linkedAt: Date;
  friendStatus: 'FRIEND' | 'BLOCKED';
}

const RULE_FIELDS = 'kind enabled messages { text flex { altText contents } } daysBefore revision enabledAt updatedAt updatedBy';
const SET_RULE = `mutation($input: SetNotificationRuleInput!) { setNotificationRule(input: $input) { ${RULE_FIELDS} } }`;

let system: TestSystem;
let fake: FakeLineApi;
let now = START;
let store = '';
const members: Record<string, string> = {};

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const lineUser = (name: string) => `U${members[name]}`;

async function setRule(input: Record<string, unknown>) {
  return ok(await system.graphql<{ setNotificationRule: Record<string, unknown> }>(SET_RULE, { input }, system.adminHeaders())).setNotificationRule;
}

async function buy(name: string, yen: number): Promise<void> {
  expect(await recordOneLinePurchase(system, { idempotencyKey: `${name}-${now.getTime()}-${yen}`, storeId: store, memberId: members[name]!, yen, occurredAt: now })).toBe('COMPLETED');
}

async function soonestExpiry(name: string): Promise<{ points: number; expiresAt: string }> {
  const data = ok(
    await system.graphql<{ member: { points: { expiring: { points: number; expiresAt: string }[] } } }>(
      'query($id: ID!) { member(id: $id) { points { expiring { points expiresAt } } } }',
      { id: members[name] },
      system.adminHeaders(),
    ),
  );
  return data.member.points.expiring[0]!;
}

const notifications = () => system.subgraphs.line.built.notifications;
const deliveries = () => system.subgraphs.line.built.deliveries;

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url }, undefined, { runBackground: false, clock: () => now });
  store = ok(
    await system.graphql<{ createStore: { id: string } }>(
      'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' } },
      system.adminHeaders(),
    ),
  ).createStore.id;
  const register = async (name: string, phone: string) => {
    members[name] = ok(
      await system.graphql<{ registerMember: { id: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
        { input: { displayName: name, phone, registeredVia: 'STORE', registeredStoreId: store } },
        system.adminHeaders(),
      ),
    ).registerMember.id;
  };
  await register('佐藤', '090-1000-0001'); // linked
  await register('鈴木', '090-1000-0002'); // linked, has blocked the account
  await register('高橋', '090-1000-0003'); // linked, never buys
  await register('田中', '090-1000-0004'); // no LINE link
  await system.subgraphs.members.built.outbox.drain(); // sign-up bonuses: 100 points each, expiring in a year
  const link = (name: string, friendStatus: 'FRIEND' | 'BLOCKED') =>
    system.db.collection<LineLinkRow>('line_links').insertOne({ _id: lineUser(name), memberId: members[name]!, linkedAt: now, friendStatus });
  await link('佐藤', 'FRIEND');
  await link('鈴木', 'BLOCKED');
  await link('高橋', 'FRIEND');
  later(60_000);
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('notification rules', () => {
  it('are off until staff turn them on, with a default wording ready', async () => {
    const { notificationRules } = ok(await system.graphql<{ notificationRules: Record<string, unknown>[] }>(`{ notificationRules { ${RULE_FIELDS} } }`, {}, system.adminHeaders()));
    expect(notificationRules).toEqual([
      { kind: 'TIER_UP', enabled: false, messages: [{ text: expect.stringContaining('{tier}'), flex: null }], daysBefore: null, revision: 0, enabledAt: null, updatedAt: null, updatedBy: null },
      {
        kind: 'POINTS_EXPIRING',
        enabled: false,
        messages: [{ text: expect.stringContaining('{expiresAt}'), flex: null }],
        daysBefore: 30,
        revision: 0,
        enabledAt: null,
        updatedAt: null,
        updatedBy: null,
      },
    ]);
  });

  it('are changed by staff, every change kept with who made it and when', async () => {
    const changed = await setRule({ kind: 'TIER_UP', messages: [{ text: '{displayName}さま、{tier}会員になりました' }] });
    expect(changed).toEqual({
      kind: 'TIER_UP',
      enabled: false,
      messages: [{ text: '{displayName}さま、{tier}会員になりました', flex: null }],
      daysBefore: null,
      revision: 1,
      enabledAt: null,
      updatedAt: now.toISOString(),
      updatedBy: 'staff:admin-1',
    });
    const flex = { altText: 'ポイント失効のお知らせ', contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [] } } };
    await setRule({ kind: 'POINTS_EXPIRING', daysBefore: 14, messages: [{ text: '{displayName}さま、{expiringPoints}ポイントが{expiresAt}に失効します' }, { flex }] });
    const audit = await system.db
      .collection<{ _id: string; revision: number; updatedBy: string; daysBefore: number | null }>('line_notification_rule_revisions')
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(audit.map((r) => [r._id, r.revision, r.updatedBy, r.daysBefore])).toEqual([
      ['POINTS_EXPIRING:1', 1, 'staff:admin-1', 14],
      ['TIER_UP:1', 1, 'staff:admin-1', null],
    ]);
  });

  it.each([
    ['daysBefore', { kind: 'POINTS_EXPIRING', daysBefore: 0 }],
    ['daysBefore', { kind: 'POINTS_EXPIRING', daysBefore: 91 }],
    ['daysBefore', { kind: 'TIER_UP', daysBefore: 7 }],
    ['messages', { kind: 'TIER_UP', messages: Array.from({ length: 6 }, () => ({ text: 'x' })) }],
    ['messages.0', { kind: 'TIER_UP', messages: [{ text: 'a', flex: { altText: 'b', contents: { type: 'bubble' } } }] }],
    ['input', { kind: 'TIER_UP' }],
  ])('refuse a bad change naming %s', async (field, input) => {
    const response = await system.graphql(SET_RULE, { input }, system.adminHeaders());
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it.each([
    ['notificationRules', '{ notificationRules { kind } }', {}],
    ['setNotificationRule', SET_RULE, { input: { kind: 'TIER_UP', enabled: true } }],
  ])('%s is FORBIDDEN to a POS key and to a customer', async (_name, query, variables) => {
    const pos = await system.posHeaders([store]);
    for (const headers of [pos, system.customerHeaders(members['佐藤']!)]) {
      const response = await system.graphql(query, variables, headers);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(Object.values(response.data ?? {}).every((value) => value === null)).toBe(true);
    }
    const rules = ok(await system.graphql<{ notificationRules: { enabled: boolean }[] }>('{ notificationRules { enabled } }', {}, system.adminHeaders()));
    expect(rules.notificationRules.every((rule) => !rule.enabled)).toBe(true);
  });
});

describe('tier-up notifications', () => {
  it('send nothing while the rule is off', async () => {
    await buy('佐藤', 60_000); // REGULAR -> SILVER
    later(60_000);
    expect((await notifications().run()).tierUp).toEqual({ checked: 0, notified: 0 });
    await deliveries().drain();
    expect(fake.sent()).toEqual([]);
    expect(await system.db.collection('line_deliveries').countDocuments()).toBe(0);
  });

  it('announce nothing that happened before the rule was turned on', async () => {
    expect(await setRule({ kind: 'TIER_UP', enabled: true })).toMatchObject({ enabled: true, revision: 2, enabledAt: now.toISOString() });
    later(60_000);
    // 佐藤, 鈴木 and 高橋: the linked members; 田中 has no LINE link
    expect((await notifications().run()).tierUp).toEqual({ checked: 3, notified: 0 });
    await deliveries().drain();
    expect(fake.sent()).toEqual([]);
  });

  it('send a member who goes up one message, however often and concurrently the job runs; blocked and unlinked members none', async () => {
    await buy('佐藤', 100_000); // SILVER -> GOLD
    await buy('鈴木', 60_000); // REGULAR -> SILVER, but blocked
    await buy('田中', 60_000); // REGULAR -> SILVER, not linked
    later(60_000);
    await Promise.all([notifications().run(), notifications().run()]);
    await notifications().run();
    await deliveries().drain();
    await notifications().run();
    await deliveries().drain();

    expect(fake.sent()).toEqual([{ via: 'push', to: lineUser('佐藤'), messages: [{ type: 'text', text: '佐藤さま、ゴールド会員になりました' }] }]);
    expect(fake.multicasts()).toEqual([]);
  });
});

describe('points-expiring notifications', () => {
  const pushesTo = (from: number) => fake.sent().slice(from);

  it('send nothing while the rule is off', async () => {
    now = new Date(START.getTime() + 339 * DAY_MS); // 10:30, and the sign-up bonuses expire in 26 days
    await setRule({ kind: 'POINTS_EXPIRING', daysBefore: 30 });
    const before = fake.sent().length;
    expect((await notifications().run()).pointsExpiring).toEqual({ day: null, deliveryId: null, members: 0 });
    await deliveries().drain();
    expect(pushesTo(before)).toEqual([]);
  });

  it('wait for 10:00 in Japan', async () => {
    now = new Date(START.getTime() + 340 * DAY_MS - 90 * 60_000); // the next day, 09:00
    await setRule({ kind: 'POINTS_EXPIRING', enabled: true });
    later(30 * 60_000);
    expect((await notifications().run()).pointsExpiring).toEqual({ day: null, deliveryId: null, members: 0 });
    expect(await system.db.collection('line_deliveries').countDocuments()).toBe(1); // 佐藤's tier-up
  });

  it('tell the linked members whose points expire within daysBefore, once that day however often the job runs', async () => {
    const before = fake.sent().length;
    later(60 * 60_000); // 10:30
    const [first, second] = await Promise.all([notifications().run(), notifications().run()]);
    await notifications().run();
    await deliveries().drain();
    await notifications().run();
    await deliveries().drain();

    const deliveryId = first.pointsExpiring.deliveryId ?? second.pointsExpiring.deliveryId;
    expect(deliveryId).toEqual(expect.any(String));
    const delivery = ok(
      await system.graphql<{ messageDelivery: Record<string, unknown> }>(
        'query($id: ID!) { messageDelivery(id: $id) { status recipients sent failed skippedBlocked } }',
        { id: deliveryId },
        system.adminHeaders(),
      ),
    ).messageDelivery;
    expect(delivery).toEqual({ status: 'COMPLETED', recipients: 2, sent: 2, failed: 0, skippedBlocked: 0 });

    const sato = await soonestExpiry('佐藤');
    const takahashi = await soonestExpiry('高橋');
    expect([sato.expiresAt, takahashi.expiresAt]).toEqual(['2031-01-10T14:59:59.999Z', '2031-01-10T14:59:59.999Z']);
    const sent = pushesTo(before).sort((a, b) => (a.to ?? '').localeCompare(b.to ?? ''));
    const expected = [
      { to: lineUser('佐藤'), text: `佐藤さま、${sato.points.toLocaleString('ja-JP')}ポイントが2031年1月10日(金)に失効します` },
      { to: lineUser('高橋'), text: `高橋さま、${takahashi.points.toLocaleString('ja-JP')}ポイントが2031年1月10日(金)に失効します` },
    ].sort((a, b) => a.to.localeCompare(b.to));
    expect(sent).toEqual(
      expected.map(({ to, text }) => ({ via: 'push', to, messages: [{ type: 'text', text }, { type: 'flex', altText: 'ポイント失効のお知らせ', contents: expect.any(Object) }] })),
    );
    expect(takahashi.points).toBe(100);

    // a run that died after making the day's delivery, before it noted whom it told: the next run finishes it
    await system.db.collection('line_expiry_notices').deleteMany({});
    await system.db.collection('line_expiry_runs').deleteMany({});
    expect((await notifications().run()).pointsExpiring).toEqual({ day: new Date(now.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10), deliveryId, members: 2 });
    await deliveries().drain();
    expect(fake.sent()).toHaveLength(before + 2);
    expect(await system.db.collection('line_expiry_notices').countDocuments()).toBe(2);
  });

  it('do not tell a member of the same expiry again the next day; a member who unblocked the account hears of it then', async () => {
    const before = fake.sent().length;
    await system.db.collection<LineLinkRow>('line_links').updateOne({ _id: lineUser('鈴木') }, { $set: { friendStatus: 'FRIEND' } });
    later(DAY_MS);
    expect((await notifications().run()).pointsExpiring).toMatchObject({ members: 1 });
    await deliveries().drain();
    const suzuki = await soonestExpiry('鈴木');
    expect(suzuki.expiresAt).toBe('2031-01-10T14:59:59.999Z');
    expect(pushesTo(before)).toEqual([
      {
        via: 'push',
        to: lineUser('鈴木'),
        messages: [
          { type: 'text', text: `鈴木さま、${suzuki.points.toLocaleString('ja-JP')}ポイントが2031年1月10日(金)に失効します` },
          { type: 'flex', altText: 'ポイント失効のお知らせ', contents: expect.any(Object) },
        ],
      },
    ]);

    later(DAY_MS);
    expect((await notifications().run()).pointsExpiring).toMatchObject({ deliveryId: null, members: 0 });
    await deliveries().drain();
    expect(fake.sent()).toHaveLength(before + 1);
  });
});
