import type { messagingApi } from '@line/bot-sdk';
import express from 'express';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { createLogger } from '@omo/lib/core/logger';
import { directoryFromUrls } from '@omo/lib/server/run-subgraph';
import { testConfig } from '@omo/tools/testing/config';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import type { MemberDoc } from '@omo/members/src/models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '@omo/members/src/server';
import { buildPointsSubgraph } from '@omo/points/src/server';
import { lineLinkModel, type LineLinkModel } from '../linking/line-link.model';
import { createChat, type Chat } from './chat';
import type { EventContext } from '../webhook/event-context';

/**
 * The chat against the real members and points services (their internal routes over HTTP, each on its own
 * database), with line links stored as the linking module stores them.
 */
const STAFF: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const STRANGER = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const PUBLIC_BASE = 'https://line.example.com/';
const NOW = new Date('2026-05-10T03:00:00.000Z');

const databases: TestDatabase[] = [];
const servers: RunningHttpServer[] = [];
const urls: Partial<Record<string, string>> = {};
let members: MembersSubgraph;
let links: LineLinkModel;
let chat: Chat;
let images: RunningHttpServer;

async function serve(name: string, routes: express.Router): Promise<void> {
  const server = await listen(express().use(routes), 0);
  servers.push(server);
  urls[name] = server.url;
}

beforeAll(async () => {
  const [membersDb, pointsDb, lineDb] = await Promise.all([openTestDatabase(), openTestDatabase(), openTestDatabase()]);
  databases.push(membersDb, pointsDb, lineDb);
  const services = directoryFromUrls(urls);
  const clock = () => NOW;
  members = buildMembersSubgraph(testBuildOptions(membersDb.connection, { services, clock }));
  const points = buildPointsSubgraph(testBuildOptions(pointsDb.connection, { services, clock }));
  links = lineLinkModel(lineDb.connection);
  await Promise.all([ensureIndexes(membersDb.connection), ensureIndexes(pointsDb.connection), ensureIndexes(lineDb.connection)]);
  await serve('members', members.routes!);
  await serve('points', points.routes!);
  chat = createChat({
    links,
    services,
    internalSecret: TEST_INTERNAL_SECRET,
    config: testConfig({ LINE_PUBLIC_BASE_URL: PUBLIC_BASE }),
    clock,
    logger: createLogger('silent'),
  });
  images = await listen(express().use(chat.routes), 0);
  servers.push(images);
});
afterAll(async () => {
  for (const server of servers) await server.close();
  for (const db of databases) await db.drop();
});

let sequence = 0;
/** A registered member (with the sign-up bonus, delivered at once by the members outbox) linked to a LINE user. */
async function linkedMember(userId: string): Promise<MemberDoc> {
  sequence += 1;
  const member = await members.memberService.register(STAFF, { displayName: `山田花子${sequence}`, email: `hanako${sequence}@example.com`, registeredVia: 'ONLINE' });
  await links.deleteOne({ _id: userId });
  await links.create({ _id: userId, memberId: member._id.toHexString(), linkedAt: NOW, friendStatus: 'FRIEND' });
  return member;
}

/** A chat context that records what would be sent to LINE. */
function conversation(userId: string, eventId = 'chat-test-event'): { ctx: EventContext; replies: messagingApi.Message[][] } {
  const replies: messagingApi.Message[][] = [];
  return { ctx: { userId, eventId, locale: 'ja', reply: async (messages) => void replies.push(messages) }, replies };
}

async function onlyReply(userId: string, send: (ctx: EventContext) => Promise<void>): Promise<messagingApi.FlexMessage> {
  const { ctx, replies } = conversation(userId);
  await send(ctx);
  expect(replies).toHaveLength(1);
  expect(replies[0]).toHaveLength(1);
  const message = replies[0]![0]!;
  if (message.type !== 'flex') throw new Error(`expected a Flex message, got ${message.type}`);
  return message;
}

const json = (message: messagingApi.FlexMessage) => JSON.stringify(message.contents);

describe('the chat', () => {
  it('answers "ポイント" from a linked member with their balance: the sign-up bonus', async () => {
    const member = await linkedMember(HANAKO);
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, 'ポイント'));
    expect(message.altText).toMatch(/^ポイント残高 100 pt（付与予定 0 pt）、レギュラーランク/);
    expect(json(message)).toContain(`${member.displayName} 様`);
  });

  it('understands English, full width and the rich-menu postback alike', async () => {
    await linkedMember(HANAKO);
    for (const send of [(ctx: EventContext) => chat.onText(ctx, 'ＰＯＩＮＴＳ'), (ctx: EventContext) => chat.onText(ctx, '残高'), (ctx: EventContext) => chat.onPostback(ctx, 'action=show_points')]) {
      expect((await onlyReply(HANAKO, send)).altText).toMatch(/^ポイント残高 100 pt/);
    }
  });

  it('answers "会員証" with the member code and a barcode image our service serves at a short-lived URL', async () => {
    const member = await linkedMember(HANAKO);
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, '会員証'));
    expect(json(message)).toContain(member.memberCode.replace(/(.{4})(?=.)/g, '$1 '));
    const hero = message.contents.type === 'bubble' ? message.contents.hero : undefined;
    if (hero?.type !== 'image') throw new Error('expected the barcode image');
    expect(hero.url).toMatch(/^https:\/\/line\.example\.com\/line\/cards\/[A-Za-z0-9_-]+\.png$/);
    const image = await fetch(hero.url.replace(/^https:\/\/line\.example\.com/, images.url));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('answers "履歴" with the latest point movements', async () => {
    await linkedMember(HANAKO);
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, '履歴'));
    expect(message.altText).toBe('ポイント履歴: 2026/5/10 ボーナス +100 pt');
  });

  it('answers anything else from a member with the menu of what the chat does', async () => {
    await linkedMember(HANAKO);
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, 'こんにちは'));
    expect(message.altText).toBe('ご用件をお選びください: ポイント / 会員証 / 履歴 / 特典');
  });

  it('answers someone not linked with help and the link action, whatever they ask', async () => {
    for (const send of [(ctx: EventContext) => chat.onText(ctx, 'ポイント'), (ctx: EventContext) => chat.onText(ctx, 'hello'), (ctx: EventContext) => chat.onPostback(ctx, 'action=show_member_card')]) {
      const message = await onlyReply(STRANGER, send);
      expect(json(message)).toContain('"data":"action=link_account"');
      expect(json(message)).not.toContain('100 pt');
    }
  });

  it('shows the member a merged member now lives on', async () => {
    const merged = await linkedMember(HANAKO);
    const survivor = await members.memberService.register(STAFF, { displayName: '統合先', email: 'survivor@example.com', registeredVia: 'ONLINE' });
    await members.models.members.updateOne({ _id: merged._id }, { $set: { status: 'MERGED', mergedIntoId: survivor._id } });
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, 'card'));
    expect(json(message)).toContain('統合先 様');
    expect(json(message)).toContain(survivor.memberCode.slice(0, 4));
  });

  it('treats a link to a withdrawn member like no link', async () => {
    const member = await linkedMember(HANAKO);
    await members.memberService.withdraw(STAFF, member._id.toHexString());
    const message = await onlyReply(HANAKO, (ctx) => chat.onText(ctx, 'ポイント'));
    expect(json(message)).toContain('action=link_account');
  });

  it('fails without replying when the points service is down, so the event is retried', async () => {
    await linkedMember(HANAKO);
    const pointsUrl = urls.points;
    urls.points = 'http://127.0.0.1:9';
    try {
      const { ctx, replies } = conversation(HANAKO);
      await expect(chat.onText(ctx, 'ポイント')).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(replies).toEqual([]);
    } finally {
      urls.points = pointsUrl;
    }
  });
});
