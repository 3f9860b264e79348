import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import { PNG } from 'pngjs';
import type { BrowserContext, Page } from 'playwright-core';
import { createRichMenus } from '@omo/line/richmenus/rich-menus';
import { listen } from '@omo/lib/server/http';
import { launchBrowser } from '@omo/tools/testing/browser';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { startFakeLiff, type FakeLiff, type MintOptions } from '../helpers/fake-liff';
import { ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The LIFF member page end to end, in Chromium at a phone's size: a stand-in LIFF SDK and LINE Login's key set
 * (test/helpers/fake-liff.ts), the page's own script calling the line service's API with the ID token, members
 * and points behind it, everything read back as staff through the gateway.
 */
const MEMBER_MENU = 'richmenu-members-0001';
const GUEST_MENU = 'richmenu-guests-0001';
const SIGNUP_BONUS = 150;
/** The system's clock starts here (12:00 in Japan) and runs on: dates on the page are this day's. */
const START = new Date('2026-12-01T03:00:00.000Z');

let line: FakeLineApi;
let liff: FakeLiff;
let system: TestSystem;
let browser: BrowserContext;
let userDataDir: string;
const startedAt = Date.now();
const clock = () => new Date(START.getTime() + (Date.now() - startedAt));

beforeAll(async () => {
  [line, liff] = await Promise.all([startFakeLineApi(), startFakeLiff()]);
  system = await startTestSystem(
    {
      LINE_API_BASE_URL: line.url,
      LINE_MEMBER_RICH_MENU_ID: MEMBER_MENU,
      LINE_GUEST_RICH_MENU_ID: GUEST_MENU,
      LINE_LOGIN_CHANNEL_ID: liff.channelId,
      LINE_LOGIN_JWKS_URL: liff.jwksUrl,
      LIFF_ID: liff.liffId,
      LIFF_SDK_URL: liff.sdkUrl,
    },
    undefined,
    { runBackground: false, clock },
  );
  ok(await system.graphql(`mutation { setPointsPolicy(input: { signupBonusPoints: ${SIGNUP_BONUS} }) { signupBonusPoints } }`, {}, system.adminHeaders()));
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-chromium-'));
  browser = await launchBrowser(userDataDir);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await system?.close();
  await Promise.all([line?.close(), liff?.close()]);
});

let userSeq = 0;
/** A fresh LINE user id, as LINE writes them. */
const newLineUser = () => `U${(0xa0000 + (userSeq += 1)).toString(16).padStart(32, '0')}`;

/** Opens the member page in LINE as this user (their ID token from the stand-in SDK), at a phone's viewport. */
async function openPage(lineUserId: string, options: { language?: string; query?: string; token?: MintOptions; idToken?: string } = {}): Promise<Page> {
  const idToken = options.idToken ?? (await liff.mint(lineUserId, { now: clock(), ...options.token }));
  liff.signIn({ idToken, language: options.language ?? 'ja' });
  const page = await browser.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  const response = await page.goto(`${system.subgraphs.line.url}/line/member${options.query ?? ''}`);
  expect(response?.status()).toBe(200);
  return page;
}

const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? null;

/** A list's rows as the reader sees them: each row's parts, in order. */
async function rows(page: Page, selector: string): Promise<string[][]> {
  const items = await page.locator(`${selector} li`).all();
  return Promise.all(items.map((item) => item.locator(':scope > *').allTextContents()));
}

/** Decodes a screenshot of one element of the page, as a register's scanner would read the screen. */
async function decode(page: Page, selector: string, format: BarcodeFormat): Promise<string> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  const luminances = new Uint8ClampedArray(png.width * png.height);
  for (let i = 0; i < luminances.length; i += 1) {
    const [r, g, b] = [png.data[i * 4]!, png.data[i * 4 + 1]!, png.data[i * 4 + 2]!];
    luminances[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  const reader = new MultiFormatReader();
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [format]],
    [DecodeHintType.TRY_HARDER, true],
  ]);
  const result = reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminances, png.width, png.height))), hints);
  expect(result.getBarcodeFormat()).toBe(format);
  return result.getText();
}

interface StaffView {
  id: string;
  displayName: string;
  email: string | null;
  memberCode: string;
  lineAccount: { displayName: string | null } | null;
  points: { balance: number };
}

async function memberByCode(code: string): Promise<StaffView> {
  const data = ok(
    await system.graphql<{ memberByCode: StaffView }>(
      `query($code: String!) { memberByCode(code: $code) { id displayName email memberCode lineAccount { displayName } points { balance } } }`,
      { code },
      system.staffHeaders(),
    ),
  );
  return data.memberByCode;
}

let contactSeq = 0;
async function registerMember(name: string): Promise<{ id: string; memberCode: string; email: string; phone: string }> {
  contactSeq += 1;
  const email = `${name}.${contactSeq}@example.com`;
  const phone = `090-1111-${String(2000 + contactSeq)}`;
  const data = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      `mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }`,
      { input: { displayName: name, email, phone, registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  );
  return { ...data.registerMember, email, phone };
}

const linkedUserOf = async (memberId: string) => (await system.db.collection('line_links').findOne({ memberId }))?._id ?? null;
const richMenuCalls = (userId: string) => line.requests.filter((r) => r.path.startsWith(`/v2/bot/user/${userId}/richmenu`)).map((r) => r.path.slice(`/v2/bot/user/${userId}`.length));

/** Joins on the page's form; the page is left showing what the API answered. */
async function join(page: Page, fields: { name: string; contact: string; marketing?: boolean; birthday?: string }): Promise<void> {
  await page.getByLabel('お名前').fill(fields.name);
  await page.locator('#join').getByLabel('電話番号またはメールアドレス').fill(fields.contact);
  if (fields.birthday) await page.locator('#join-birthday').fill(fields.birthday);
  if (fields.marketing) await page.getByLabel('お得な情報やキャンペーンのメッセージを受け取る').check();
  await page.getByLabel('会員規約に同意する（必須）').check();
  await page.getByRole('button', { name: '会員登録する' }).click();
}

async function linkOnPage(page: Page, memberCode: string, contact: string): Promise<void> {
  await page.getByLabel('会員番号（13桁）').fill(memberCode);
  await page.locator('#link').getByLabel('電話番号またはメールアドレス').fill(contact);
  await page.getByRole('button', { name: '連携する' }).click();
}

describe('the LIFF member page', () => {
  it('lets someone not linked join in one step: the member exists, is linked, and the page shows their card with the sign-up bonus', async () => {
    const user = newLineUser();
    const page = await openPage(user);
    await page.getByRole('heading', { name: '新規会員登録' }).waitFor();
    expect(liff.inits.at(-1)).toBe(liff.liffId);

    await join(page, { name: '佐藤 葵', contact: 'aoi.sato@example.com', birthday: '1995-07-07' });

    await page.locator('#card').waitFor();
    expect(await text(page, '#balance')).toBe(`${SIGNUP_BONUS} pt`);
    expect(await text(page, '#display-name')).toBe('佐藤 葵');
    const code = (await text(page, '#member-code'))!.replace(/\s/g, '');
    expect(code).toMatch(/^\d{13}$/);
    const member = await memberByCode(code);
    expect(member).toEqual({ id: expect.any(String), displayName: '佐藤 葵', email: 'aoi.sato@example.com', memberCode: code, lineAccount: { displayName: '山田花子' }, points: { balance: SIGNUP_BONUS } });
    expect(await linkedUserOf(member.id)).toBe(user);
    expect(richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`]);
    // what they chose at joining, shown back in their details
    expect(await page.locator('#birthday').inputValue()).toBe('1995-07-07');
    expect(await page.locator('#consent').isChecked()).toBe(false);

    // the card registers scan: the EAN-13 and the QR beside it both read as the member code
    expect(await decode(page, '#barcode', BarcodeFormat.EAN_13)).toBe(code);
    expect(await decode(page, '#qr', BarcodeFormat.QR_CODE)).toBe(code);
    await page.close();
  });

  it('answers a repeated join with the same membership: one member per LINE user, linked once', async () => {
    const user = newLineUser();
    const first = await openPage(user);
    const second = await openPage(user);
    await join(first, { name: 'Repeat', contact: '090-3333-0001' });
    await first.locator('#card').waitFor();
    // the second tab still shows the form: its join is a retry of the first
    await join(second, { name: 'Repeat', contact: '090-3333-0001' });
    await second.locator('#card').waitFor();
    expect(await text(second, '#member-code')).toBe(await text(first, '#member-code'));
    expect(await system.db.collection('line_links').countDocuments({ _id: user as never })).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });

  it('shows a linked member their card, balance, tier progress and history across channels', async () => {
    const store = ok(
      await system.graphql<{ createStore: { id: string } }>(
        'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
        { input: { code: 'L001', name: '渋谷店', kind: 'PHYSICAL' } },
        system.adminHeaders(),
      ),
    ).createStore.id;
    const member = await registerMember('tanaka');
    expect(await recordOneLinePurchase(system, { idempotencyKey: 'liff-history-1', storeId: store, memberId: member.id, yen: 12_000, occurredAt: clock() })).toBe('COMPLETED');
    const user = newLineUser();
    const page = await openPage(user);
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#card').waitFor();

    expect(await text(page, '#balance')).toBe(`${SIGNUP_BONUS + 120} pt`);
    expect(await text(page, '#tier')).toBe('会員ランク: レギュラー');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('24');
    expect(await text(page, '#tier-progress')).toBe('シルバーまで あと38,000円のお買い物');
    // each lot lasts 365 days, to the end of that day in Japan
    expect(await rows(page, '#expiring')).toEqual([['2027/12/1', `${SIGNUP_BONUS + 120} pt`]]);
    expect(await rows(page, '#history')).toEqual([
      ['2026/12/1', '獲得 · 店舗', '+120 pt'],
      ['2026/12/1', '入会ボーナス', `+${SIGNUP_BONUS} pt`],
    ]);
    expect(await text(page, '#coupons p')).toBe('お持ちのクーポンはありません');
    expect(await linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it('links an existing membership with its member code and phone or e-mail, refusing a wrong pair', async () => {
    const member = await registerMember('suzuki');
    const user = newLineUser();
    const page = await openPage(user);
    await linkOnPage(page, member.memberCode, '090-9999-9999');
    await expect(page.locator('#link [role=alert]').textContent()).resolves.toBe('会員番号、または電話番号・メールアドレスが一致しません。入力内容をご確認ください。');
    expect(await linkedUserOf(member.id)).toBeNull();

    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();
    expect(await text(page, '#member-code')).toBe(member.memberCode.replace(/(.{4})(?=.)/g, '$1 '));
    expect(await linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it('stops checking member codes after the link page’s 10 wrong pairs an hour for the LINE user', async () => {
    const member = await registerMember('guessed');
    const user = newLineUser();
    const idToken = await liff.mint(user, { now: clock() });
    const tryLink = (contact: string) =>
      fetch(`${system.subgraphs.line.url}/line/member/api/link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ memberCode: member.memberCode, contact }),
      });
    for (let attempt = 1; attempt <= 10; attempt += 1) expect((await tryLink(`090-8888-${String(attempt).padStart(4, '0')}`)).status).toBe(400);
    const late = await tryLink(member.phone); // right, but too late
    expect(late.status).toBe(429);
    expect(await late.json()).toEqual({ error: { code: 'RATE_LIMITED', message: '入力の回数が上限に達しました。しばらく時間をおいてからお試しください。' }, locale: 'ja' });
    expect(await linkedUserOf(member.id)).toBeNull();
  });

  it('lets a LINE user whose membership was withdrawn join again, unlinking the ended one', async () => {
    const member = await registerMember('leaving');
    const user = newLineUser();
    const page = await openPage(user);
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#card').waitFor();
    await page.close();
    ok(await system.graphql(`mutation($id: ID!) { withdrawMember(id: $id) { status } }`, { id: member.id }, system.staffHeaders()));

    const reopened = await openPage(user);
    await reopened.locator('#notice').waitFor();
    expect(await text(reopened, '#notice')).toBe('連携していた会員資格は終了しています。新しく会員登録するか、お持ちの会員と連携してください。');
    expect(await reopened.locator('#card').count()).toBe(0);
    await join(reopened, { name: 'Returning', contact: 'returning@example.com' });
    await reopened.locator('#card').waitFor();
    const code = (await text(reopened, '#member-code'))!.replace(/\s/g, '');
    expect(code).not.toBe(member.memberCode);
    const joined = await memberByCode(code);
    expect(await linkedUserOf(joined.id)).toBe(user);
    expect(await linkedUserOf(member.id)).toBeNull();
    await reopened.close();
  });

  it('offers linking when the joining contact is already a member’s, and links it there', async () => {
    const member = await registerMember('kato');
    const user = newLineUser();
    const page = await openPage(user);
    await join(page, { name: 'Kato', contact: member.email });
    await expect(page.locator('#join [role=alert]').textContent()).resolves.toBe(
      'この電話番号またはメールアドレスは、すでに会員登録されています。下の「すでに会員の方」から連携してください。',
    );
    expect(await page.locator('#link-code:focus').count()).toBe(1);
    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();
    expect(await linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it.each([
    ['forged', { signedBy: 'stranger' }],
    ['expired', { expiresInSeconds: -60 }],
    ['another channel’s', { audience: '1657999999' }],
  ] as const)('shows nothing and writes nothing for a %s ID token', async (_kind, token) => {
    const user = newLineUser();
    const counts = async () =>
      Promise.all(['members', 'line_links', 'line_link_attempts', 'member_line_joins'].map((name) => system.db.collection(name).countDocuments()));
    const before = await counts();
    const page = await openPage(user, { token });
    await expect(page.getByRole('alert').textContent()).resolves.toBe('LINEのログインを確認できませんでした。LINEアプリからこのページを開き直してください。');
    expect(await page.locator('form, #card, svg').count()).toBe(0);

    // and the API refuses the same token for every write, before reading the body
    const idToken = await liff.mint(user, { now: clock(), ...token });
    for (const [route, body] of [
      ['join', { name: 'X', contact: 'x@example.com', termsAccepted: true, marketingConsent: true }],
      ['link', { memberCode: '2900000000001', contact: 'x@example.com' }],
      ['profile', { marketingConsent: false }],
    ] as const) {
      const response = await fetch(`${system.subgraphs.line.url}/line/member/api/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'LINEのログインを確認できませんでした。LINEアプリからこのページを開き直してください。' }, locale: 'ja' });
    }
    expect(await counts()).toEqual(before);
    await page.close();
  });

  it('is in English for a LINE set to English, and in the language the lang query asks for', async () => {
    const page = await openPage(newLineUser(), { language: 'en-US' });
    await page.getByRole('heading', { name: 'Become a member in LINE' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByLabel('Name').fill('Emily Carter');
    await page.locator('#join').getByLabel('Phone number or e-mail').fill('emily.carter@example.com');
    await page.getByLabel('I agree to the membership terms (required)').check();
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('#card').waitFor();
    expect(await text(page, '#tier')).toBe('Tier: Regular');
    expect(await text(page, '#tier-progress')).toBe('Spend ¥50,000 more to reach Silver');
    expect(await rows(page, '#history')).toEqual([['1 Dec 2026', 'Welcome bonus', `+${SIGNUP_BONUS} pt`]]);
    await page.close();

    const asked = await openPage(newLineUser(), { language: 'ja', query: '?lang=en' });
    await asked.getByRole('heading', { name: 'Join' }).waitFor();
    await asked.close();
  });

  it('lets the member change their birthday and marketing consent', async () => {
    const user = newLineUser();
    const page = await openPage(user);
    await join(page, { name: 'Consent', contact: 'consent@example.com', marketing: true });
    await page.locator('#card').waitFor();
    expect(await page.locator('#consent').isChecked()).toBe(true);
    await page.locator('#birthday').fill('1990-04-15');
    await page.locator('#consent').uncheck();
    await page.getByRole('button', { name: '保存する' }).click();
    await page.locator('#settings [role=status]', { hasText: '保存しました' }).waitFor();
    const code = (await text(page, '#member-code'))!.replace(/\s/g, '');
    await page.close();
    const saved = ok(
      await system.graphql<{ memberByCode: { birthday: string | null; marketingConsent: { granted: boolean; source: string } } }>(
        `query($code: String!) { memberByCode(code: $code) { birthday marketingConsent { granted source } } }`,
        { code },
        system.staffHeaders(),
      ),
    );
    expect(saved.memberByCode).toEqual({ birthday: '1990-04-15', marketingConsent: { granted: false, source: 'LINE' } });

    const reopened = await openPage(user);
    await reopened.locator('#settings').waitFor();
    expect(await reopened.locator('#birthday').inputValue()).toBe('1990-04-15');
    expect(await reopened.locator('#consent').isChecked()).toBe(false);
    await reopened.close();
  });

  it('is served under a policy that allows no inline script, and refuses bodies over 8 kB without writing', async () => {
    const response = await fetch(`${system.subgraphs.line.url}/line/member`);
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self' ${liff.url}; style-src 'self'; img-src 'self'; ` +
        `connect-src 'self' ${liff.url} https://api.line.me https://access.line.me https://liffsdk.line-scdn.net; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
    const idToken = await liff.mint(newLineUser(), { now: clock() });
    const before = await system.db.collection('members').countDocuments();
    const big = await fetch(`${system.subgraphs.line.url}/line/member/api/join?lang=en`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(9000), contact: 'big@example.com', termsAccepted: true, marketingConsent: false }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'What you entered is too long.' }, locale: 'en' });
    expect(await system.db.collection('members').countDocuments()).toBe(before);
  });

  it('is what the member menu’s card button opens once LIFF_ID is set (npm run line:richmenus)', async () => {
    const created: { name: string; areas: { action: Record<string, string> }[] }[] = [];
    const lineApi = await listen(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.url === '/v2/bot/richmenu') created.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof created)[number]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/v2/bot/richmenu' ? JSON.stringify({ richMenuId: `richmenu-${created.length}` }) : '{}');
    }, 0);
    try {
      await createRichMenus({ channelAccessToken: 'test-token', apiBaseUrl: lineApi.url, liffId: liff.liffId });
    } finally {
      await lineApi.close();
    }
    const actions = (name: string) => created.find((menu) => menu.name === name)!.areas.map((area) => area.action);
    expect(actions('omo-members')).toEqual([
      { type: 'postback', label: 'ポイント', data: 'action=show_points', displayText: 'ポイント' },
      { type: 'uri', label: '会員証', uri: `https://liff.line.me/${liff.liffId}` },
      { type: 'postback', label: '履歴', data: 'action=show_history', displayText: '履歴' },
    ]);
    expect(actions('omo-guests').every((action) => action.type === 'postback')).toBe(true);
  });
});
