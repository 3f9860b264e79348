import { Types } from 'mongoose';
import { DAY_MS } from '@omo/lib/core/time';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Segments end to end through the gateway: members, purchases and LINE links seeded as the system stores them,
 * segments previewed (the line service asking members, points and purchases for their part), staff-only access.
 */

const PREVIEW = /* GraphQL */ `
  query Preview($segmentId: ID, $definition: SegmentDefinitionInput) {
    segmentPreview(segmentId: $segmentId, definition: $definition) { memberCount reachableCount consentedCount recipientCount sample { id displayName } evaluatedAt }
  }
`;

interface Preview {
  segmentPreview: { memberCount: number; reachableCount: number; consentedCount: number; recipientCount: number; sample: { id: string; displayName: string }[]; evaluatedAt: string };
}

interface LineLinkRow {
  _id: string;
  memberId: string;
  linkedAt: Date;
  friendStatus: 'FRIEND' | 'BLOCKED';
}

let system: TestSystem;
let fake: FakeLineApi;
const stores: Record<'shinjuku' | 'umeda' | 'ec', string> = { shinjuku: '', umeda: '', ec: '' };
const members: Record<string, string> = {};

const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS);

/** The first day of this month in JST, as "new members this month" means it. */
function startOfMonthJst(): Date {
  const jst = new Date(Date.now() + 9 * 3_600_000);
  return new Date(Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), 1) - 9 * 3_600_000);
}

async function register(name: string, registeredVia: 'STORE' | 'ONLINE', phone: string): Promise<string> {
  const data = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      // consenting to marketing: segmented messages go to no one else
      { input: { displayName: name, phone, registeredVia, marketingConsent: true, ...(registeredVia === 'STORE' ? { registeredStoreId: stores.shinjuku } : {}) } },
      system.adminHeaders(),
    ),
  );
  members[name] = data.registerMember.id;
  return data.registerMember.id;
}

async function buy(name: string, store: keyof typeof stores, yen: number, occurredAt: Date): Promise<void> {
  expect(await recordOneLinePurchase(system, { idempotencyKey: `${name}-${store}-${occurredAt.getTime()}`, storeId: stores[store], memberId: members[name]!, yen, occurredAt: occurredAt })).toBe('COMPLETED');
}

async function link(name: string, friendStatus: 'FRIEND' | 'BLOCKED'): Promise<void> {
  await system.db.collection<LineLinkRow>('line_links').insertOne({ _id: `U${members[name]}`, memberId: members[name]!, linkedAt: new Date(), friendStatus });
}

async function preview(variables: Record<string, unknown>): Promise<Preview['segmentPreview']> {
  return ok(await system.graphql<Preview>(PREVIEW, variables, system.adminHeaders())).segmentPreview;
}

const names = (sample: { displayName: string }[]) => sample.map((m) => m.displayName).sort();

beforeAll(async () => {
  fake = await startFakeLineApi();
  // no quiet hours: the messages below go out whatever time of day the tests run
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_QUIET_HOURS: '' }, undefined, { runBackground: false });
  const createStore = async (input: Record<string, unknown>) =>
    ok(await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input }, system.adminHeaders()))
      .createStore.id;
  stores.shinjuku = await createStore({ code: 'S001', name: '新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' });
  stores.umeda = await createStore({ code: 'S002', name: '梅田店', kind: 'PHYSICAL', prefecture: '大阪府', city: '大阪市北区' });
  stores.ec = await createStore({ code: 'EC', name: 'オンラインストア', kind: 'ONLINE' });

  // older members (their registration moved back below)
  await register('青木', 'STORE', '090-0000-0001'); // Shinjuku 30 days ago only
  await register('井上', 'STORE', '090-0000-0002'); // Shinjuku 30 days ago, and online 10 days ago
  await register('上田', 'ONLINE', '090-0000-0003'); // Shinjuku 200 days ago only
  await register('江藤', 'STORE', '090-0000-0004'); // GOLD from Umeda
  await register('小川', 'STORE', '090-0000-0005'); // GOLD from Shinjuku 40 days ago; blocked the account
  // this month's members
  await register('加藤', 'ONLINE', '090-0000-0006'); // no purchases
  await register('木村', 'STORE', '090-0000-0007'); // Shinjuku, but no LINE link
  await register('工藤', 'STORE', '090-0000-0008'); // Shinjuku, then withdrew

  await buy('青木', 'shinjuku', 3_000, daysAgo(30));
  await buy('井上', 'shinjuku', 3_000, daysAgo(30));
  await buy('井上', 'ec', 5_000, daysAgo(10));
  await buy('上田', 'shinjuku', 3_000, daysAgo(200));
  await buy('江藤', 'umeda', 160_000, daysAgo(20));
  await buy('小川', 'shinjuku', 160_000, daysAgo(40));
  await buy('木村', 'shinjuku', 2_000, daysAgo(5));
  await buy('工藤', 'shinjuku', 2_000, daysAgo(5));
  ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: members['工藤'] }, system.adminHeaders()));

  for (const name of ['青木', '井上', '上田', '江藤', '加藤', '工藤']) await link(name, 'FRIEND');
  await link('小川', 'BLOCKED');
  const older = ['青木', '井上', '上田', '江藤', '小川'].map((name) => members[name]!);
  // seeding: these members signed up 100 days ago (the members service stamps registrations with the real time)
  await system.db.collection('members').updateMany({ _id: { $in: older.map((id) => new Types.ObjectId(id)) } }, { $set: { createdAt: daysAgo(100) } });
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('segment previews', () => {
  it('"bought at the Shinjuku store in the last 90 days but never online": linked, active members only', async () => {
    const result = await preview({
      definition: { and: [{ storesVisited: { storeIds: [stores.shinjuku], window: { fromDaysAgo: 90 } } }, { channelUsage: { usage: 'STORE_ONLY' } }] },
    });
    // 井上 bought online, 上田 too long ago, 木村 has no LINE link, 工藤 withdrew
    expect(names(result.sample)).toEqual(['小川', '青木'].sort());
    expect(result.memberCount).toBe(2);
    expect(result.reachableCount).toBe(1);
  });

  it('finds the same stores by prefecture and city', async () => {
    const byCity = await preview({ definition: { storesVisited: { prefecture: '東京都', city: '新宿区', window: { fromDaysAgo: 90 } } } });
    expect(names(byCity.sample)).toEqual(['井上', '小川', '青木'].sort());
  });

  it('"GOLD members", whichever store made them GOLD', async () => {
    const result = await preview({ definition: { tier: ['GOLD'] } });
    expect(names(result.sample)).toEqual(['小川', '江藤'].sort());
    expect(result).toMatchObject({ memberCount: 2, reachableCount: 1, consentedCount: 2, recipientCount: 1 });
  });

  it('"new members this month"', async () => {
    const result = await preview({ definition: { registered: { from: startOfMonthJst().toISOString() } } });
    expect(names(result.sample)).toEqual(['加藤']);
    expect(result).toMatchObject({ memberCount: 1, reachableCount: 1 });
  });

  it('combines OR and NOT: GOLD members who have not bought in the last 30 days, or members who never bought', async () => {
    const result = await preview({
      definition: {
        or: [{ and: [{ tier: ['GOLD'] }, { not: { lastPurchase: { fromDaysAgo: 30 } } }] }, { purchaseCount: { count: { max: 0 } } }],
      },
    });
    expect(names(result.sample)).toEqual(['加藤', '小川'].sort());
  });

  it('answers by purchase frequency and spend in a window, and by LINE friend status', async () => {
    expect(names((await preview({ definition: { purchaseCount: { window: { fromDaysAgo: 60 }, count: { min: 2 } } } })).sample)).toEqual(['井上']);
    expect(names((await preview({ definition: { spend: { window: { fromDaysAgo: 60 }, amount: { min: 100_000 } } } })).sample)).toEqual(['小川', '江藤'].sort());
    expect(names((await preview({ definition: { lineFriendStatus: 'BLOCKED' } })).sample)).toEqual(['小川']);
    expect(names((await preview({ definition: { and: [{ registeredVia: 'ONLINE' }, { channelUsage: { usage: 'STORE_ONLY' } }] } })).sample)).toEqual(['上田']);
  });

  it('answers by point balance and points expiring as the member’s own account shows them', async () => {
    await system.subgraphs.members.built.outbox.drain(); // sign-up bonuses
    const account = async (name: string) =>
      ok(
        await system.graphql<{ member: { points: { balance: number; expiring: { points: number; expiresAt: string }[] } } }>(
          'query($id: ID!) { member(id: $id) { points { balance expiring { points expiresAt } } } }',
          { id: members[name] },
          system.adminHeaders(),
        ),
      ).member.points;
    const aoki = await account('青木');
    const etou = await account('江藤');
    expect(etou.balance).toBeGreaterThan(aoki.balance);
    const atLeastEtou = await preview({ definition: { pointBalance: { min: etou.balance } } });
    expect(names(atLeastEtou.sample)).toContain('江藤');
    expect(names(atLeastEtou.sample)).not.toContain('青木');
    const soonest = aoki.expiring[0]!;
    const days = Math.ceil((new Date(soonest.expiresAt).getTime() - Date.now()) / DAY_MS);
    expect(names((await preview({ definition: { pointsExpiring: { withinDays: days, minPoints: soonest.points } } })).sample)).toContain('青木');
    expect(names((await preview({ definition: { pointsExpiring: { withinDays: days, minPoints: soonest.points + etou.balance + 1 } } })).sample)).toEqual([]);
  });

  it('refuses a node with two conditions, naming it', async () => {
    const response = await system.graphql(PREVIEW, { definition: { or: [{ tier: ['GOLD'], registeredVia: 'STORE' }] } }, system.adminHeaders());
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'definition.or.0' });
  });
});

describe('saved segments', () => {
  const FIELDS = 'id name description definition revision createdAt createdBy updatedAt updatedBy';

  it('are created, previewed, changed and deleted by staff, each change audited with who and when', async () => {
    const created = ok(
      await system.graphql<{ createSegment: { id: string; revision: number; createdBy: string; definition: unknown } }>(
        `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { ${FIELDS} } }`,
        { input: { name: 'GOLD会員', definition: { tier: ['GOLD'] } } },
        system.adminHeaders(),
      ),
    ).createSegment;
    expect(created).toMatchObject({ revision: 1, createdBy: 'staff:admin-1', definition: { tier: ['GOLD'] } });
    expect((await preview({ segmentId: created.id })).memberCount).toBe(2);

    const updated = ok(
      await system.graphql<{ updateSegment: { name: string; revision: number; updatedBy: string; definition: unknown } }>(
        `mutation($id: ID!, $input: UpdateSegmentInput!) { updateSegment(id: $id, input: $input) { ${FIELDS} } }`,
        { id: created.id, input: { definition: { tier: ['GOLD', 'PLATINUM'] }, description: '上位ランク' } },
        system.adminHeaders(),
      ),
    ).updateSegment;
    expect(updated).toMatchObject({ name: 'GOLD会員', revision: 2, updatedBy: 'staff:admin-1', definition: { tier: ['GOLD', 'PLATINUM'] } });
    const listed = ok(await system.graphql<{ segments: { id: string; description: string }[] }>(`{ segments { ${FIELDS} } }`, {}, system.adminHeaders()));
    expect(listed.segments).toEqual([expect.objectContaining({ id: created.id, description: '上位ランク' })]);

    const deleted = ok(await system.graphql<{ deleteSegment: boolean }>('mutation($id: ID!) { deleteSegment(id: $id) }', { id: created.id }, system.adminHeaders()));
    expect(deleted.deleteSegment).toBe(true);
    expect(ok(await system.graphql<{ segment: null }>('query($id: ID!) { segment(id: $id) { id } }', { id: created.id }, system.adminHeaders())).segment).toBeNull();
    const gone = await system.graphql(PREVIEW, { segmentId: created.id }, system.adminHeaders());
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const audit = await system.db.collection<{ action: string; revision: number; updatedBy: string }>('segment_revisions').find({ segmentId: created.id }).sort({ revision: 1 }).toArray();
    expect(audit.map((r) => [r.action, r.revision, r.updatedBy])).toEqual([
      ['CREATE', 1, 'staff:admin-1'],
      ['UPDATE', 2, 'staff:admin-1'],
      ['DELETE', 3, 'staff:admin-1'],
    ]);
  });

  it('refuse a definition that is not valid', async () => {
    const response = await system.graphql(
      'mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }',
      { input: { name: 'bad', definition: { pointBalance: { min: 10, max: 1 } } } },
      system.adminHeaders(),
    );
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'definition.pointBalance' });
  });
});

describe('segmented messages', () => {
  const SEND = /* GraphQL */ `
    mutation($input: SendSegmentMessageInput!) {
      sendSegmentMessage(input: $input) { id status dryRun recipients sent failed skippedBlocked skippedNoConsent startedAt finishedAt }
    }
  `;

  it('a dry run counts the recipients, blocked ones skipped, and sends nothing', async () => {
    const data = ok(
      await system.graphql<{ sendSegmentMessage: Record<string, unknown> }>(
        SEND,
        { input: { definition: { tier: ['GOLD'] }, messages: [{ text: 'ゴールド会員さまへ' }], idempotencyKey: 'dry-1', dryRun: true } },
        system.adminHeaders(),
      ),
    );
    expect(data.sendSegmentMessage).toMatchObject({ status: 'COMPLETED', dryRun: true, recipients: 2, skippedBlocked: 1, skippedNoConsent: 0, sent: 0, failed: 0 });
    const id = data.sendSegmentMessage.id as string;
    const read = ok(await system.graphql<{ messageDelivery: { id: string } }>('query($id: ID!) { messageDelivery(id: $id) { id status } }', { id }, system.adminHeaders()));
    expect(read.messageDelivery).toEqual({ id, status: 'COMPLETED' });
    await system.subgraphs.line.built.deliveries.drain();
    expect(fake.multicasts()).toEqual([]);
    expect(fake.sent()).toEqual([]);
  });

  it('sends to the reachable members by multicast, once however often the request is repeated', async () => {
    const input = { definition: { tier: ['GOLD'] }, messages: [{ text: 'ゴールド会員さま限定セール' }], idempotencyKey: 'gold-sale-1' };
    const first = ok(await system.graphql<{ sendSegmentMessage: { id: string } }>(SEND, { input }, system.adminHeaders()));
    await system.subgraphs.line.built.deliveries.drain();
    const again = ok(await system.graphql<{ sendSegmentMessage: Record<string, unknown> }>(SEND, { input }, system.adminHeaders()));
    await system.subgraphs.line.built.deliveries.drain();

    expect(again.sendSegmentMessage).toMatchObject({ id: first.sendSegmentMessage.id, status: 'COMPLETED', recipients: 2, sent: 1, skippedBlocked: 1, failed: 0 });
    expect(fake.multicasts()).toEqual([
      { to: [`U${members['江藤']}`], retryKey: expect.stringMatching(/^[0-9a-f-]{36}$/), messages: [{ type: 'text', text: 'ゴールド会員さま限定セール' }], status: 200 },
    ]);
  });

  it('fills {displayName} and {points} in for each recipient and sends those by push', async () => {
    const points = ok(
      await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: members['江藤'] }, system.adminHeaders()),
    ).member.points.balance;
    const pushesBefore = fake.sent().length;
    const input = { definition: { tier: ['GOLD'] }, messages: [{ text: '{displayName}さま、ただいま{points}ポイントです' }], idempotencyKey: 'gold-personal-1' };
    ok(await system.graphql(SEND, { input }, system.adminHeaders()));
    await system.subgraphs.line.built.deliveries.drain();

    expect(fake.sent().slice(pushesBefore)).toEqual([
      { via: 'push', to: `U${members['江藤']}`, messages: [{ type: 'text', text: `江藤さま、ただいま${points.toLocaleString('ja-JP')}ポイントです` }] },
    ]);
  });

  it('refuses a message with both text and flex', async () => {
    const response = await system.graphql(
      SEND,
      { input: { definition: { tier: ['GOLD'] }, messages: [{ text: 'a', flex: { altText: 'b', contents: { type: 'bubble' } } }], idempotencyKey: 'bad-1' } },
      system.adminHeaders(),
    );
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'messages.0' });
  });
});

describe('who may use segments and messages', () => {
  const attempts: [string, string, Record<string, unknown>][] = [
    ['segmentPreview', PREVIEW, { definition: { tier: ['GOLD'] } }],
    ['segments', '{ segments { id } }', {}],
    ['createSegment', 'mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }', { input: { name: 'x', definition: { tier: ['GOLD'] } } }],
    [
      'sendSegmentMessage',
      'mutation($input: SendSegmentMessageInput!) { sendSegmentMessage(input: $input) { id } }',
      { input: { definition: { tier: ['GOLD'] }, messages: [{ text: 'hi' }], idempotencyKey: 'forbidden-1' } },
    ],
    ['messageDelivery', 'query { messageDelivery(id: "0123456789abcdef01234567") { id } }', {}],
    ['cancelDelivery', 'mutation { cancelDelivery(id: "0123456789abcdef01234567") { id } }', {}],
  ];

  it.each(attempts)('%s is FORBIDDEN to a POS key and to a customer', async (_name, query, variables) => {
    const pos = await system.posHeaders([stores.shinjuku]);
    for (const headers of [pos, system.customerHeaders(members['青木']!)]) {
      const response = await system.graphql(query, variables, headers);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(Object.values(response.data ?? {}).every((value) => value === null)).toBe(true);
    }
  });
});
