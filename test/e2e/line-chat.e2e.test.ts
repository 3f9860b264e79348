import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A customer's chat end to end: LINE's signed webhook bodies (test/fixtures/line) into the line service, the
 * answer built from the members and points services, sent back to a fake LINE API.
 */
const FIXTURES = path.resolve(__dirname, '../fixtures/line');
const SECRET = 'test-line-channel-secret';
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const STRANGER = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const PUBLIC_BASE = 'https://line.example.com';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) {
    registerMember(input: $input) { id memberCode displayName }
  }
`;

interface LineLinkRow {
  _id: string;
  memberId: string;
  linkedAt: Date;
  friendStatus: 'FRIEND' | 'BLOCKED';
}

interface SentFlex {
  type: string;
  altText?: string;
  contents?: { hero?: { type: string; url?: string } };
}

let fake: FakeLineApi;
let system: TestSystem;
let hanako: { id: string; memberCode: string; displayName: string };

const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const sign = (body: Buffer) => createHmac('sha256', SECRET).update(body).digest('base64');

/** A fixture as another event: its own id and reply token (so it is not a redelivery), maybe another user or text. */
function variant(name: string, changes: { id: string; replyToken: string; userId?: string; text?: string }): Buffer {
  const event = JSON.parse(fixture(name).toString('utf8')) as {
    events: { webhookEventId: string; replyToken: string; source: { userId: string }; message?: { text: string } }[];
  };
  const [first] = event.events;
  if (!first) throw new Error(`${name} has no event`);
  first.webhookEventId = changes.id;
  first.replyToken = changes.replyToken;
  if (changes.userId) first.source.userId = changes.userId;
  if (changes.text !== undefined && first.message) first.message.text = changes.text;
  return Buffer.from(JSON.stringify(event));
}

/** Posts a body as LINE does (signed over the exact bytes sent), then lets the line service process its queue. */
async function deliver(body: Buffer): Promise<void> {
  const response = await fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': sign(body) },
    body,
  });
  expect(response.status).toBe(200);
  await system.subgraphs.line.built.outbox.drain();
}

/** The one message LINE was asked to reply with, using this reply token. */
function replyWith(replyToken: string): SentFlex {
  const replies = fake.requests.filter(
    (r) => r.path === '/v2/bot/message/reply' && r.status === 200 && (r.body as { replyToken?: string }).replyToken === replyToken,
  );
  expect(replies).toHaveLength(1);
  const { messages } = replies[0]!.body as { messages: SentFlex[] };
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem({ LINE_API_BASE_URL: fake.url, LINE_PUBLIC_BASE_URL: PUBLIC_BASE }, undefined, { runBackground: false });
  const registered = await system.graphql<{ registerMember: typeof hanako }>(
    REGISTER,
    { input: { displayName: '山田花子', phone: '090-0000-1234', registeredVia: 'ONLINE' } },
    system.staffHeaders(),
  );
  expect(registered.errors).toBeUndefined();
  hanako = registered.data!.registerMember;
  await system.db
    .collection<LineLinkRow>('line_links')
    .insertOne({ _id: HANAKO, memberId: hanako.id, linkedAt: new Date(), friendStatus: 'FRIEND' });
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('the LINE chat', () => {
  it('answers a linked member’s "ポイント" with a Flex card showing the balance: the sign-up bonus', async () => {
    await deliver(fixture('webhook-text-message.json'));
    const message = replyWith('78327621ceb20c757a970625c47de5e6');
    expect(message.type).toBe('flex');
    expect(message.altText).toMatch(/^ポイント残高 100 pt（付与予定 0 pt）、レギュラーランク/);
    const card = JSON.stringify(message.contents);
    expect(card).toContain('"text":"100"');
    expect(card).toContain('山田花子 様');
  });

  it('answers the member-card postback with the barcode image, served by the line service for a short while', async () => {
    await deliver(fixture('webhook-postback.json'));
    const message = replyWith('936706adc1bc001ae63a3f643fb3eb2a');
    const url = message.contents?.hero?.url ?? '';
    expect(url).toMatch(/^https:\/\/line\.example\.com\/line\/cards\/[A-Za-z0-9_-]+\.png$/);
    expect(JSON.stringify(message.contents)).toContain(hanako.memberCode.slice(0, 4));
    // the public host is a proxy in front of the line service: the path is what it serves
    const image = await fetch(`${system.subgraphs.line.url}${new URL(url).pathname}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await fetch(`${system.subgraphs.line.url}/line/cards/forged-token-0000000000000000000000000000000000.png`)).status).toBe(404);
  });

  it('understands "history" in full-width English', async () => {
    await deliver(variant('webhook-text-message.json', { id: '01JXRT7ESXGY6ZVW7MCHZGC7Z1', replyToken: 'reply-history-0001', text: 'ＨＩＳＴＯＲＹ' }));
    expect(replyWith('reply-history-0001').altText).toMatch(/^ポイント履歴: \d{4}\/\d{1,2}\/\d{1,2} ボーナス \+100 pt$/);
  });

  it('answers someone not linked with help and the link action', async () => {
    await deliver(variant('webhook-text-message.json', { id: '01JXRT7ESXGY6ZVW7MCHZGC7Z2', replyToken: 'reply-stranger-0001', userId: STRANGER }));
    const message = replyWith('reply-stranger-0001');
    expect(JSON.stringify(message.contents)).toContain('"data":"action=link_account"');
    expect(message.altText).not.toContain('pt');
  });
});
