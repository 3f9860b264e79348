import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { isChatPostback } from '@omo/line/src/chat/chat';
import { createRichMenus, loadRichMenu, RICH_MENU_NAMES } from '@omo/line/richmenus/rich-menus';
import { listen } from '@omo/lib/server/http';
import { launchBrowser } from '@omo/tools/testing/browser';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { startTestSystem, type TestSystem } from '../helpers/system';

const FIXTURES = path.resolve(__dirname, '../fixtures/line');
const SECRET = 'test-line-channel-secret';
const HANAKO = 'U9d477349dd2a163f08517a6a01aa37ab';
const FAILED_USER = 'Uba197b1ade7c3b587bf2f8e2d801b3c4';
const MEMBER_MENU = 'richmenu-members-0001';
const GUEST_MENU = 'richmenu-guests-0001';

type LineEvent = Record<string, unknown> & { source: { userId: string }; link?: { nonce: string } };

let fake: FakeLineApi;
let system: TestSystem;
let browser: BrowserContext;
let userDataDir: string;
/** How far the system's clock runs ahead of the real one. */
let clockOffsetMs = 0;

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem(
    {
      LINE_API_BASE_URL: fake.url,
      LINE_ACCOUNT_LINK_URL: `${fake.url}/dialog/bot/accountLink`,
      LINE_MEMBER_RICH_MENU_ID: MEMBER_MENU,
      LINE_GUEST_RICH_MENU_ID: GUEST_MENU,
    },
    undefined,
    { runBackground: false, clock: () => new Date(Date.now() + clockOffsetMs) },
  );
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-chromium-'));
  browser = await launchBrowser(userDataDir);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await system?.close();
  await fake?.close();
});

/**
 * A fixture's request body with its one event edited (fresh event id and reply token, so the dispatcher takes it
 * as a new event), re-serialised the way the fixtures are written; what is posted is exactly what is signed.
 */
function webhookBody(file: string, edit: (event: LineEvent) => void = () => undefined): { body: Buffer; replyToken: string } {
  const request = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { events: LineEvent[] };
  const event = request.events[0]!;
  const replyToken = randomBytes(16).toString('hex');
  event.webhookEventId = `01JXTEST${randomBytes(9).toString('hex').toUpperCase()}`;
  if ('replyToken' in event) event.replyToken = replyToken;
  edit(event);
  return { body: Buffer.from(`${JSON.stringify(request, null, 2)}\n`), replyToken };
}

/** Posts a signed webhook body to the line service and processes the queue, as the worker would. */
async function deliver({ body, replyToken }: { body: Buffer; replyToken: string }): Promise<string[]> {
  const response = await fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': createHmac('sha256', SECRET).update(body).digest('base64') },
    body,
  });
  expect(response.status).toBe(200);
  await system.subgraphs.line.built.outbox.drain();
  return repliedTexts(replyToken);
}

/** The texts (and buttons' texts) the bot replied with to one reply token. */
function repliedTexts(replyToken: string): string[] {
  return fake.requests
    .filter((r) => r.path === '/v2/bot/message/reply' && (r.body as { replyToken: string }).replyToken === replyToken)
    .flatMap((r) => (r.body as { messages: { text?: string; altText?: string; template?: { text: string } }[] }).messages)
    .map((m) => m.text ?? m.template?.text ?? m.altText ?? '');
}

function chat(userId: string, text: string) {
  return deliver(
    webhookBody('webhook-text-message.json', (event) => {
      event.source.userId = userId;
      (event.message as { text: string }).text = text;
    }),
  );
}

/** The user asks to link in the chat; the link token from the reply's button. */
async function askToLink(userId: string): Promise<string> {
  const request = webhookBody('webhook-text-message.json', (event) => {
    event.source.userId = userId;
    (event.message as { text: string }).text = '会員連携';
  });
  await deliver(request);
  const reply = fake.requests.find((r) => r.path === '/v2/bot/message/reply' && (r.body as { replyToken: string }).replyToken === request.replyToken);
  const button = (reply?.body as { messages: { template?: { actions: { uri: string }[] } }[] }).messages[0]?.template?.actions[0];
  const uri = new URL(button!.uri);
  expect(`${uri.origin}${uri.pathname}`).toBe(`${system.config.LINE_PUBLIC_BASE_URL}/line/link`);
  return uri.searchParams.get('linkToken')!;
}

/** Opens the link page (on the test's line port) in Chromium and submits the form. */
async function submitLinkPage(linkToken: string, memberCode: string, contact: string): Promise<Page> {
  const page = await browser.newPage();
  const opened = await page.goto(`${system.subgraphs.line.url}/line/link?linkToken=${encodeURIComponent(linkToken)}`);
  expect(opened?.status()).toBe(200);
  await page.getByLabel('会員番号').fill(memberCode);
  await page.getByLabel('電話番号またはメールアドレス').fill(contact);
  await page.getByRole('button', { name: /連携する/ }).click();
  await page.waitForLoadState();
  return page;
}

/** The whole browser half of LINE's flow; the nonce from the URL of LINE's (fake) dialog. */
async function linkThroughPage(userId: string, memberCode: string, contact: string): Promise<string> {
  const linkToken = await askToLink(userId);
  const page = await submitLinkPage(linkToken, memberCode, contact);
  await page.waitForURL(`${fake.url}/dialog/bot/accountLink?**`);
  const dialog = new URL(page.url());
  await page.close();
  expect(dialog.searchParams.get('linkToken')).toBe(linkToken);
  return dialog.searchParams.get('nonce')!;
}

function accountLinkEvent(file: 'webhook-account-link-ok.json' | 'webhook-account-link-failed.json', userId: string, nonce: string) {
  return webhookBody(file, (event) => {
    event.source.userId = userId;
    event.link!.nonce = nonce;
  });
}

interface Member {
  id: string;
  memberCode: string;
}

let phoneSeq = 0;
async function registerMember(name: string): Promise<Member & { email: string; phone: string }> {
  phoneSeq += 1;
  const email = `${name}.${randomBytes(3).toString('hex')}@example.com`;
  const phone = `090-0000-${String(1300 + phoneSeq)}`;
  const result = await system.graphql<{ registerMember: Member }>(
    `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }`,
    { input: { displayName: name, email, phone, registeredVia: 'ONLINE' } },
    system.staffHeaders(),
  );
  expect(result.errors).toBeUndefined();
  return { ...result.data!.registerMember, email, phone };
}

const LINE_ACCOUNT = `query($id: ID!) { member(id: $id) { lineAccount { displayName linkedAt friendStatus } } }`;

async function lineAccountOf(memberId: string) {
  const result = await system.graphql<{ member: { lineAccount: { displayName: string | null; linkedAt: string; friendStatus: string } | null } }>(
    LINE_ACCOUNT,
    { id: memberId },
    system.staffHeaders(),
  );
  expect(result.errors).toBeUndefined();
  return result.data!.member.lineAccount;
}

const linkedUser = async (memberId: string) => (await system.db.collection('line_links').findOne({ memberId }))?._id ?? null;

async function issueCode(memberId: string) {
  return system.graphql<{ issueLineLinkCode: { code: string; expiresAt: string } }>(
    `mutation { issueLineLinkCode { code expiresAt } }`,
    {},
    system.customerHeaders(memberId),
  );
}

async function unlink(headers: Record<string, string>, memberId?: string) {
  return system.graphql<{ unlinkLineAccount: boolean }>(`mutation($id: ID) { unlinkLineAccount(memberId: $id) }`, { id: memberId }, headers);
}

const richMenuCalls = (userId: string) =>
  fake.requests.filter((r) => r.path.startsWith(`/v2/bot/user/${userId}/richmenu`)).map((r) => `${r.method} ${r.path.slice(`/v2/bot/user/${userId}`.length)}`);

describe('linking through LINE’s account-link flow', () => {
  let hanako: Member & { email: string; phone: string };
  let nonce: string;

  beforeAll(async () => {
    hanako = await registerMember('hanako');
  });

  it('links after the member proves who they are on the link page and LINE reports the nonce', async () => {
    nonce = await linkThroughPage(HANAKO, hanako.memberCode, hanako.phone);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(nonce).not.toContain(hanako.id);
    expect(await linkedUser(hanako.id)).toBeNull(); // nothing is linked until LINE confirms

    const replies = await deliver(accountLinkEvent('webhook-account-link-ok.json', HANAKO, nonce));

    expect(replies.join('\n')).toContain('連携しました');
    expect(await linkedUser(hanako.id)).toBe(HANAKO);
    expect(await lineAccountOf(hanako.id)).toEqual({ displayName: '山田花子', linkedAt: expect.any(String), friendStatus: 'FRIEND' });
    expect(richMenuCalls(HANAKO)).toEqual([`POST /richmenu/${MEMBER_MENU}`]);
  });

  it('shows the member their own LINE account but never the LINE user id, and hides it from other customers', async () => {
    const own = await system.graphql(`{ me { lineAccount { displayName linkedAt friendStatus } } }`, {}, system.customerHeaders(hanako.id));
    expect(own.errors).toBeUndefined();
    expect(JSON.stringify(own.data)).not.toContain(HANAKO);
    const other = await registerMember('other');
    const refused = await system.graphql(LINE_ACCOUNT, { id: hanako.id }, system.customerHeaders(other.id));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('unlinks at the member’s request and puts the user back on the guest menu', async () => {
    const result = await unlink(system.customerHeaders(hanako.id));
    expect(result.data).toEqual({ unlinkLineAccount: true });
    expect(await linkedUser(hanako.id)).toBeNull();
    expect(richMenuCalls(HANAKO).at(-1)).toBe(`POST /richmenu/${GUEST_MENU}`);
    expect((await unlink(system.customerHeaders(hanako.id))).data).toEqual({ unlinkLineAccount: false });
  });

  it('refuses a nonce the second time: a replayed accountLink event links nothing', async () => {
    const replies = await deliver(accountLinkEvent('webhook-account-link-ok.json', HANAKO, nonce));
    expect(replies.join('\n')).not.toContain('連携しました');
    expect(await linkedUser(hanako.id)).toBeNull();
  });

  it('links nothing when LINE reports the account link failed, and the nonce is spent', async () => {
    const member = await registerMember('failing');
    const failedNonce = await linkThroughPage(FAILED_USER, member.memberCode, member.email);
    await deliver(accountLinkEvent('webhook-account-link-failed.json', FAILED_USER, failedNonce));
    expect(await linkedUser(member.id)).toBeNull();
    await deliver(accountLinkEvent('webhook-account-link-ok.json', FAILED_USER, failedNonce));
    expect(await linkedUser(member.id)).toBeNull();
  });

  it('refuses a nonce in another LINE user’s accountLink event', async () => {
    const member = await registerMember('stolen');
    const stolenNonce = await linkThroughPage('U00000000000000000000000000000a01', member.memberCode, member.email);
    await deliver(accountLinkEvent('webhook-account-link-ok.json', 'U00000000000000000000000000000a02', stolenNonce));
    expect(await linkedUser(member.id)).toBeNull();
  });

  it('shows an error for wrong credentials, links nothing, and stops checking after 5 tries', async () => {
    const member = await registerMember('mistyped');
    const user = 'U00000000000000000000000000000b01';
    const linkToken = await askToLink(user);
    const noncesBefore = await system.db.collection('line_link_nonces').countDocuments();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const page = await submitLinkPage(linkToken, member.memberCode, '090-9999-0000');
      expect(page.url()).toContain(`${system.subgraphs.line.url}/line/link`);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('一致しません');
      await page.close();
    }
    const page = await submitLinkPage(linkToken, member.memberCode, member.phone); // right, but too late
    await expect(page.locator('main').textContent()).resolves.toContain('上限');
    expect(page.url()).not.toContain(fake.url);
    await page.close();
    expect(await system.db.collection('line_link_nonces').countDocuments()).toBe(noncesBefore);
    expect(await linkedUser(member.id)).toBeNull();
  });

  it('refuses on the page a member who already has another LINE account linked', async () => {
    const member = await registerMember('taken');
    const [linked, second] = ['U00000000000000000000000000000f01', 'U00000000000000000000000000000f02'];
    const { code } = (await issueCode(member.id)).data!.issueLineLinkCode;
    await chat(linked, code);
    expect(await linkedUser(member.id)).toBe(linked);
    const page = await submitLinkPage(await askToLink(second), member.memberCode, member.email);
    await expect(page.locator('main').textContent()).resolves.toContain('別のLINEアカウントと連携済み');
    expect(page.url()).not.toContain(fake.url);
    await page.close();
    expect(await linkedUser(member.id)).toBe(linked);
  });

  it('links the EC site’s logged-in customer posted with their customer token, and refuses a bad token', async () => {
    const member = await registerMember('online');
    const user = 'U00000000000000000000000000000e01';
    const post = async (customerToken: string) =>
      fetch(`${system.subgraphs.line.url}/line/link`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ linkToken: await askToLink(user), customerToken }),
      });
    const token = system.customerHeaders(member.id).authorization!.replace(/^Bearer /, '');

    const forged = await post(`${token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    await expect(forged.text()).resolves.toContain('ログインを確認できませんでした');
    const staff = await post(system.staffHeaders().authorization!.replace(/^Bearer /, ''));
    expect(staff.status).toBe(401);

    const accepted = await post(token);
    expect(accepted.status).toBe(302);
    const dialog = new URL(accepted.headers.get('location')!);
    expect(`${dialog.origin}${dialog.pathname}`).toBe(`${fake.url}/dialog/bot/accountLink`);
    await deliver(accountLinkEvent('webhook-account-link-ok.json', user, dialog.searchParams.get('nonce')!));
    expect(await linkedUser(member.id)).toBe(user);
  });

  it('answers an unknown or forged link token with an explanation instead of the form', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${system.subgraphs.line.url}/line/link?linkToken=%3Cscript%3Eforged`);
    expect(response?.status()).toBe(410);
    expect(await page.locator('form').count()).toBe(0);
    await page.close();
  });
});

describe('linking with a one-time code', () => {
  const taroUser = 'U00000000000000000000000000000c01';
  const otherUser = 'U00000000000000000000000000000c02';
  let taro: Member;
  let jiro: Member;

  beforeAll(async () => {
    taro = await registerMember('taro');
    jiro = await registerMember('jiro');
  });

  it('links the LINE user who sends the code to the customer who issued it, once', async () => {
    const issued = await issueCode(taro.id);
    expect(issued.errors).toBeUndefined();
    const { code, expiresAt } = issued.data!.issueLineLinkCode;
    expect(code).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(9 * 60_000);

    // as people paste it: lower case, full width, with a space
    const typed = `${code.slice(0, 4)} ${code.slice(4)}`.toLowerCase().replace(/[0-9a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect((await chat(taroUser, typed)).join('\n')).toContain('連携しました');
    expect(await linkedUser(taro.id)).toBe(taroUser);
    expect(richMenuCalls(taroUser)).toEqual([`POST /richmenu/${MEMBER_MENU}`]);

    expect((await chat(otherUser, code)).join('\n')).toContain('使用済み');
    expect(await system.db.collection('line_links').countDocuments({ _id: otherUser as never })).toBe(0);
  });

  it('refuses to link a second LINE account to a member, or a LINE account to a second member, until unlinked', async () => {
    const refused = await issueCode(taro.id);
    expect(refused.errors?.[0]?.extensions?.code).toBe('ALREADY_EXISTS');

    const { code } = (await issueCode(jiro.id)).data!.issueLineLinkCode;
    expect((await chat(taroUser, code)).join('\n')).toContain('別の会員と連携済み');
    expect(await linkedUser(jiro.id)).toBeNull();
    expect(await linkedUser(taro.id)).toBe(taroUser);

    const byStaff = await unlink(system.staffHeaders(), taro.id);
    expect(byStaff.data).toEqual({ unlinkLineAccount: true });
    expect(richMenuCalls(taroUser).at(-1)).toBe(`POST /richmenu/${GUEST_MENU}`);

    // the refused code was not spent: once unlinked, the same code links jiro
    expect((await chat(taroUser, code)).join('\n')).toContain('連携しました');
    expect(await linkedUser(jiro.id)).toBe(taroUser);
  });

  it('switches the rich menu later when LINE refuses it at link time, without holding up the link', async () => {
    const member = await registerMember('menu');
    const user = 'U00000000000000000000000000000c03';
    fake.failNext(`/v2/bot/user/${user}/richmenu/${MEMBER_MENU}`, 500, { message: 'temporary' });
    const { code } = (await issueCode(member.id)).data!.issueLineLinkCode;
    expect((await chat(user, code)).join('\n')).toContain('連携しました');
    expect(await linkedUser(member.id)).toBe(user);
    const menuAnswers = () => fake.requests.filter((r) => r.path.startsWith(`/v2/bot/user/${user}/richmenu`)).map((r) => r.status);
    expect(menuAnswers()).toEqual([500]);

    // the worker's retry, once its back-off is over
    await system.db.collection<{ _id: string }>('line_outbox').updateOne({ _id: `rich-menu:${user}` }, { $set: { nextAttemptAt: new Date(0) } });
    await system.subgraphs.line.built.outbox.drain();
    expect(menuAnswers()).toEqual([500, 200]);
    expect(richMenuCalls(user)).toEqual([`POST /richmenu/${MEMBER_MENU}`, `POST /richmenu/${MEMBER_MENU}`]);
  });

  it('lets only customers issue codes, at most 5 an hour', async () => {
    expect((await system.graphql(`mutation { issueLineLinkCode { code } }`, {}, system.staffHeaders())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const member = await registerMember('eager');
    for (let i = 0; i < 5; i += 1) expect((await issueCode(member.id)).errors).toBeUndefined();
    const sixth = await issueCode(member.id);
    expect(sixth.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', limit: 5 });
  });

  it('answers wrong codes and stops checking after 5 wrong tries in 10 minutes', async () => {
    const member = await registerMember('guesser');
    const { code } = (await issueCode(member.id)).data!.issueLineLinkCode;
    const guesser = 'U00000000000000000000000000000d01';
    for (let i = 0; i < 5; i += 1) expect((await chat(guesser, 'ABCD2345')).join('\n')).toContain('正しくありません');
    expect((await chat(guesser, code)).join('\n')).toContain('上限');
    expect(await linkedUser(member.id)).toBeNull();
  });

  it('refuses a code after its 10 minutes', async () => {
    const member = await registerMember('late');
    const { code } = (await issueCode(member.id)).data!.issueLineLinkCode;
    clockOffsetMs += 10 * 60_000 + 1_000;
    expect((await chat('U00000000000000000000000000000e01', code)).join('\n')).toContain('有効期限');
    expect(await linkedUser(member.id)).toBeNull();
  });
});

describe('the rich menus (npm run line:richmenus)', () => {
  it('are pictures of exactly their size whose every tap does something the bot understands', async () => {
    for (const name of RICH_MENU_NAMES) {
      const { definition, image } = await loadRichMenu(name);
      // PNG: the IHDR chunk right after the signature holds width and height
      expect({ width: image.readUInt32BE(16), height: image.readUInt32BE(20) }).toEqual(definition.size);
      expect(image.length).toBeLessThan(1024 * 1024);
      for (const { bounds, action } of definition.areas ?? []) {
        expect(bounds!.x! + bounds!.width!).toBeLessThanOrEqual(definition.size!.width!);
        const data = action?.type === 'postback' ? (action as { data: string }).data : '';
        expect(isChatPostback(data) || data === 'action=link_account').toBe(true);
      }
    }
  });

  it('are validated, created with their images and the guest menu made the default, through the SDK', async () => {
    const calls: { method: string; path: string; type: string | undefined; bytes: number }[] = [];
    let created = 0;
    const lineApi = await listen(async (req, res) => {
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Buffer).length;
      calls.push({ method: req.method ?? '', path: req.url ?? '', type: req.headers['content-type'], bytes });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/v2/bot/richmenu' ? JSON.stringify({ richMenuId: `richmenu-${(created += 1)}` }) : '{}');
    }, 0);
    try {
      const ids = await createRichMenus({ channelAccessToken: 'test-token', apiBaseUrl: lineApi.url });
      expect(ids).toEqual({ member: 'richmenu-1', guest: 'richmenu-2' });
      const image = async (name: 'member' | 'guest') => (await loadRichMenu(name)).image.length;
      expect(calls.map(({ method, path, type }) => `${method} ${path} ${type}`)).toEqual([
        'POST /v2/bot/richmenu/validate application/json',
        'POST /v2/bot/richmenu application/json',
        'POST /v2/bot/richmenu/richmenu-1/content image/png',
        'POST /v2/bot/richmenu/validate application/json',
        'POST /v2/bot/richmenu application/json',
        'POST /v2/bot/richmenu/richmenu-2/content image/png',
        'POST /v2/bot/user/all/richmenu/richmenu-2 application/json',
      ]);
      expect(calls[2]!.bytes).toBe(await image('member'));
      expect(calls[5]!.bytes).toBe(await image('guest'));
    } finally {
      await lineApi.close();
    }
  });
});
