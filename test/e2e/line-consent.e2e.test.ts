import { Types } from 'mongoose';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Marketing consent and birthday months in segmented LINE messages, end to end through the gateway: members
 * registered with their choice, one withdrawing it as the customer, one registered before consent was kept; what
 * segmentPreview counts and exactly whom the fake LINE API's multicasts went to.
 */

const TAG = 'consent-e2e';
const PREVIEW = /* GraphQL */ `
  query($definition: SegmentDefinitionInput) {
    segmentPreview(definition: $definition) { memberCount reachableCount consentedCount recipientCount sample { displayName } }
  }
`;
const SEND = /* GraphQL */ `
  mutation($input: SendSegmentMessageInput!) { sendSegmentMessage(input: $input) { id } }
`;
const DELIVERY = /* GraphQL */ `
  query($id: ID!) { messageDelivery(id: $id) { status recipients sent failed skippedBlocked skippedNoConsent } }
`;

interface Preview {
  memberCount: number;
  reachableCount: number;
  consentedCount: number;
  recipientCount: number;
  sample: { displayName: string }[];
}

let system: TestSystem;
let fake: FakeLineApi;
const members: Record<string, string> = {};
let sequence = 0;

/** The month (1-12) in Japan now, and the months after it: birthdays that "this month" does or does not select. */
const jstMonth = (shift: number) => ((new Date(Date.now() + 9 * 3_600_000).getUTCMonth() + shift) % 12) + 1;
const THIS_MONTH = jstMonth(0);
const NEXT_MONTH = jstMonth(1);
const birthday = (month: number, day: number) => `1990-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

async function register(name: string, input: { marketingConsent?: boolean; birthday?: string }): Promise<void> {
  sequence += 1;
  const data = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: name, email: `consent-${sequence}@example.com`, registeredVia: 'ONLINE', tags: [TAG], ...input } },
      system.adminHeaders(),
    ),
  );
  members[name] = data.registerMember.id;
}

async function link(name: string, friendStatus: 'FRIEND' | 'BLOCKED' = 'FRIEND'): Promise<void> {
  await system.db.collection<{ _id: string; memberId: string; linkedAt: Date; friendStatus: string }>('line_links').insertOne({ _id: lineUser(name), memberId: members[name]!, linkedAt: new Date(), friendStatus });
}

const lineUser = (name: string) => `U${members[name]}`;
const lineUsers = (...names: string[]) => names.map(lineUser).sort();

async function preview(definition: unknown): Promise<Preview> {
  return ok(await system.graphql<{ segmentPreview: Preview }>(PREVIEW, { definition }, system.adminHeaders())).segmentPreview;
}

/** A text message to the segment, delivered; who each multicast went to (sorted), and the delivery's counts. */
async function send(definition: unknown, key: string): Promise<{ to: string[][]; delivery: Record<string, unknown> }> {
  const before = fake.multicasts().length;
  const input = { definition, messages: [{ text: '今週末のセールのご案内' }], idempotencyKey: key };
  const { id } = ok(await system.graphql<{ sendSegmentMessage: { id: string } }>(SEND, { input }, system.adminHeaders())).sendSegmentMessage;
  await system.subgraphs.line.built.deliveries.drain();
  const delivery = ok(await system.graphql<{ messageDelivery: Record<string, unknown> }>(DELIVERY, { id }, system.adminHeaders())).messageDelivery;
  return { to: fake.multicasts().slice(before).map((call) => [...call.to].sort()), delivery };
}

const names = (sample: { displayName: string }[]) => sample.map((m) => m.displayName).sort();
const tagged = (condition?: unknown) => (condition ? { and: [{ tags: { all: [TAG] } }, condition] } : { tags: { all: [TAG] } });

beforeAll(async () => {
  fake = await startFakeLineApi();
  // no quiet hours: the messages below go out whatever time of day the tests run
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_QUIET_HOURS: '' }, undefined, { runBackground: false });
  await register('青木', { marketingConsent: true, birthday: birthday(NEXT_MONTH, 10) });
  await register('井上', { marketingConsent: true, birthday: birthday(jstMonth(2), 2) });
  await register('上田', { marketingConsent: true, birthday: birthday(NEXT_MONTH, 28) }); // withdraws below
  await register('江藤', {}); // never asked: registered without a choice, which records "no"
  await register('小川', { marketingConsent: true, birthday: birthday(THIS_MONTH, 1) });
  await register('加藤', { marketingConsent: true }); // blocked the account
  await register('木村', { birthday: birthday(THIS_MONTH, 15) }); // registered before consent was kept
  // as a member registered before the consent field existed is stored: no recorded choice at all
  await system.db.collection('members').updateOne({ _id: new Types.ObjectId(members['木村']) }, { $unset: { marketingConsent: '' } });
  for (const name of ['青木', '井上', '上田', '江藤', '小川', '木村']) await link(name);
  await link('加藤', 'BLOCKED');
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('marketing consent in segmented messages', () => {
  it('a member registered before consent was kept counts as consented, source LEGACY', async () => {
    const read = ok(
      await system.graphql<{ member: { marketingConsent: unknown } }>('query($id: ID!) { member(id: $id) { marketingConsent { granted source updatedAt } } }', { id: members['木村'] }, system.adminHeaders()),
    );
    expect(read.member.marketingConsent).toEqual({ granted: true, source: 'LEGACY', updatedAt: null });
  });

  it('a member who withdraws as the customer gets no segment message, while the consented ones do', async () => {
    const everyone = await preview(tagged());
    expect(everyone).toMatchObject({ memberCount: 7, reachableCount: 6, consentedCount: 6, recipientCount: 5 });
    expect(names(everyone.sample)).toEqual(['青木', '井上', '上田', '江藤', '小川', '加藤', '木村'].sort());
    const before = await send(tagged(), 'consent-before');
    expect(before.to).toEqual([lineUsers('青木', '井上', '上田', '小川', '木村')]);
    expect(before.delivery).toEqual({ status: 'COMPLETED', recipients: 7, sent: 5, failed: 0, skippedBlocked: 1, skippedNoConsent: 1 });

    const withdrawn = ok(
      await system.graphql<{ updateMember: { marketingConsent: { granted: boolean; source: string } } }>(
        'mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { marketingConsent { granted source } } }',
        { id: members['上田'], input: { marketingConsent: false } },
        system.customerHeaders(members['上田']!),
      ),
    );
    expect(withdrawn.updateMember.marketingConsent).toEqual({ granted: false, source: 'ONLINE' });

    expect(await preview(tagged())).toMatchObject({ memberCount: 7, reachableCount: 6, consentedCount: 5, recipientCount: 4 });
    const after = await send(tagged(), 'consent-after');
    expect(after.to).toEqual([lineUsers('青木', '井上', '小川', '木村')]);
    expect(after.delivery).toEqual({ status: 'COMPLETED', recipients: 7, sent: 4, failed: 0, skippedBlocked: 1, skippedNoConsent: 2 });
  });
});

describe('a birthday-month segment', () => {
  it('selects exactly the members born in the months given', async () => {
    const found = await preview(tagged({ birthdayMonth: { months: [NEXT_MONTH] } }));
    expect(names(found.sample)).toEqual(['上田', '青木'].sort());
    expect(found).toMatchObject({ memberCount: 2, consentedCount: 1, recipientCount: 1 });
    const sent = await send(tagged({ birthdayMonth: { months: [NEXT_MONTH] } }), 'birthday-next-month');
    expect(sent.to).toEqual([lineUsers('青木')]);
  });

  it('"born this month" is the month in Japan when the segment is evaluated; members without a birthday never match', async () => {
    expect(names((await preview(tagged({ birthdayMonth: { currentMonth: true } }))).sample)).toEqual(['小川', '木村'].sort());
    const sent = await send(tagged({ birthdayMonth: { currentMonth: true } }), 'birthday-this-month');
    expect(sent.to).toEqual([lineUsers('小川', '木村')]);
    expect(names((await preview(tagged({ not: { birthdayMonth: { months: [THIS_MONTH, NEXT_MONTH, jstMonth(2)] } } }))).sample)).toEqual(['加藤', '江藤'].sort());
  });

  it('refuses a month outside 1-12, naming the node', async () => {
    const response = await system.graphql(PREVIEW, { definition: { birthdayMonth: { months: [13] } } }, system.adminHeaders());
    expect(response.errors?.[0]).toMatchObject({ message: 'definition.birthdayMonth.months.0: months are 1 to 12', extensions: { code: 'BAD_USER_INPUT', field: 'definition.birthdayMonth.months.0' } });
  });
});
