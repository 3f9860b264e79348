import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { messagingApi } from '@line/bot-sdk';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { startFakeLineApi, type FakeLineApi } from '../../../../test/helpers/fake-line-api';
import { lineLinkModel, type LineLinkModel } from './line-link.model';
import { LineClient } from '../line-api/line.client';
import { createLinking, type Linking } from './linking';
import type { EventContext } from '../webhook/event-context';
import { secretDigest } from './link-secrets';

/** The linking module on its own database, with a fake LINE API; the races are what the e2e test cannot stage. */
const START = new Date('2030-01-10T00:00:00.000Z');

let db: TestDatabase;
let fake: FakeLineApi;
let links: LineLinkModel;
let linking: Linking;
let now: Date;
let users = 0;

const newUser = () => `U${String((users += 1)).padStart(32, '0')}`;
const customer = (memberId: string): Caller => ({ kind: 'customer', memberId });
let members = 0;
const newMember = () => `member-${(members += 1)}`;

function chatOf(userId: string): EventContext & { replies: string[] } {
  const replies: string[] = [];
  return {
    userId,
    eventId: 'link-test-event',
    locale: 'ja',
    replies,
    reply: async (messages: messagingApi.Message[]) => void replies.push(...messages.map((m) => (m.type === 'text' ? m.text : m.type))),
  };
}

/** The members service's POST /internal/members/current, for members that are all active and never merged. */
async function startMembersStub(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { ids } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ids: string[] };
      const current = Object.fromEntries(ids.map((id) => [id, { memberId: id, status: 'ACTIVE' }]));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ current }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

let membersService: http.Server;

beforeAll(async () => {
  db = await openTestDatabase();
  fake = await startFakeLineApi();
  membersService = await startMembersStub();
  const services = { baseUrl: () => `http://127.0.0.1:${(membersService.address() as AddressInfo).port}` };
  const options = testBuildOptions(db.connection, { clock: () => now, services });
  const config = { ...options.config, LINE_API_BASE_URL: fake.url };
  links = lineLinkModel(db.connection);
  linking = createLinking({ ...options, config, links, client: new LineClient(config, options.logger), followMenu: () => Promise.resolve() });
  await ensureIndexes(db.connection);
});
afterAll(async () => {
  await new Promise((resolve) => membersService.close(resolve));
  await fake.close();
  await db.drop();
});
beforeEach(() => {
  now = START;
});

describe('link codes', () => {
  it('link exactly one of two LINE users sending the same code at once', async () => {
    const memberId = newMember();
    const { code } = await linking.service.issueCode(customer(memberId));
    const [first, second] = [newUser(), newUser()];
    const outcomes = await Promise.all([linking.service.linkByCode(first, code), linking.service.linkByCode(second, code)]);
    // the loser is told either that the code was used or that the member is linked now, by when it looked: both true
    expect(outcomes.filter((o) => o === 'linked')).toHaveLength(1);
    expect(['used', 'member-linked-elsewhere']).toContain(outcomes.find((o) => o !== 'linked'));
    expect(await links.countDocuments({ memberId })).toBe(1);
  });

  it('link one LINE user when two send different codes of the same member at once', async () => {
    const memberId = newMember();
    const codes = [await linking.service.issueCode(customer(memberId)), await linking.service.issueCode(customer(memberId))];
    const outcomes = await Promise.all(codes.map(({ code }) => linking.service.linkByCode(newUser(), code)));
    expect(outcomes.sort()).toEqual(['linked', 'member-linked-elsewhere']);
    expect(await links.countDocuments({ memberId })).toBe(1);
  });

  it('are issued at most 5 an hour even when asked for all at once', async () => {
    const memberId = newMember();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => linking.service.issueCode(customer(memberId))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    now = new Date(START.getTime() + 60 * 60_000 + 1);
    await expect(linking.service.issueCode(customer(memberId))).resolves.toEqual({ code: expect.stringMatching(/^[2-9A-HJ-NP-Z]{8}$/) as string, expiresAt: new Date(now.getTime() + 10 * 60_000) });
  });

  it('are refused to anyone but a customer', async () => {
    const error = await rejection(linking.service.issueCode({ kind: 'staff', staffId: 's', role: 'STAFF' }));
    expect(error.extensions.code).toBe('FORBIDDEN');
  });

  it('are looked for only in messages that look like one', async () => {
    const ctx = chatOf(newUser());
    for (const text of ['ポイント', 'FEEDBACK', 'points', 'ABCD234', 'ABCD23456', '会員証']) {
      expect(await linking.tryLinkCode(ctx, text)).toBe(false);
    }
    expect(await linking.tryLinkCode(ctx, 'abcd-2345')).toBe(true);
    expect(ctx.replies).toEqual(['連携コードが正しくありません。オンラインストアのマイページに表示された8桁のコードをご確認ください。']);
  });
});

describe('claims', () => {
  it('let the same event finish after a crash between the claim and the link, and refuse everyone else', async () => {
    const memberId = newMember();
    const { code } = await linking.service.issueCode(customer(memberId));
    const user = newUser();
    // the state a crash leaves: the code claimed by this user, no link stored
    await db.connection.collection('line_link_claims').insertOne({
      _id: `code:${secretDigest(testBuildOptions(db.connection).internalSecret, 'code', code)}` as never,
      lineUserId: user,
      memberId,
      claimedAt: START,
      completedAt: null,
    });
    expect(await linking.service.linkByCode(newUser(), code)).toBe('used');
    expect(await linking.service.linkByCode(user, code)).toBe('linked');
    expect(await links.findById(user).lean()).toMatchObject({ memberId });
  });
});

describe('account-link events', () => {
  it('ignore a failed link and an unknown nonce', async () => {
    const ctx = chatOf(newUser());
    await linking.onAccountLink(ctx, { result: 'failed', nonce: 'whatever' }, ctx.userId);
    await linking.onAccountLink(null, { result: 'ok', nonce: 'never-issued' }, ctx.userId);
    expect(await links.exists({ _id: ctx.userId })).toBeNull();
    expect(ctx.replies).toEqual(['連携できませんでした。もう一度「会員連携」と送って、やり直してください。']);
  });
});
