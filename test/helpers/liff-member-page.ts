import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BarcodeFormat, BinaryBitmap, DecodeHintType, HybridBinarizer, MultiFormatReader, RGBLuminanceSource } from '@zxing/library';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { launchBrowser } from '@omo/tools/testing/browser';
import { startFakeLineApi, type FakeLineApi } from './fake-line-api';
import { startFakeLiff, type FakeLiff, type MintOptions } from './fake-liff';
import { ok, startTestSystem, type TestSystem } from './system';

/**
 * The LIFF member page's end-to-end harness: the whole system with LINE's side faked (the Messaging API, and
 * test/helpers/fake-liff.ts: a stand-in LIFF SDK and LINE Login's key set), Chromium to open the page in at a
 * phone's size, and what the tests read back as staff through the gateway.
 */
export const MEMBER_MENU = 'richmenu-members-0001';
export const GUEST_MENU = 'richmenu-guests-0001';
export const SIGNUP_BONUS = 150;
/** The system's clock starts here (12:00 in Japan) and runs on: dates on the page are this day's. */
const START = new Date('2026-12-01T03:00:00.000Z');

export interface StaffView {
  id: string;
  displayName: string;
  email: string | null;
  memberCode: string;
  lineAccount: { displayName: string | null } | null;
  points: { balance: number };
}

export interface OpenOptions {
  /** What liff.getLanguage() answers; ja by default. */
  language?: string;
  /** Appended to the page's URL, e.g. ?lang=en. */
  query?: string;
  /** How the user's ID token is minted (a forged, expired or other channel's one). */
  token?: MintOptions;
}

export interface MemberPageHarness {
  line: FakeLineApi;
  liff: FakeLiff;
  system: TestSystem;
  clock: () => Date;
  /** Moves the system's clock on (an ID token the page holds expires); the browser's stays. */
  advance(ms: number): void;
  /** A fresh LINE user id, as LINE writes them. */
  newLineUser(): string;
  /** Opens the member page in LINE as this user (their ID token from the stand-in SDK), at 390 x 844. */
  openPage(lineUserId: string, options?: OpenOptions): Promise<Page>;
  memberByCode(code: string): Promise<StaffView>;
  /** A member registered by staff, with the sign-up bonus. */
  registerMember(name: string): Promise<{ id: string; memberCode: string; email: string; phone: string }>;
  /** The LINE user linked to a member, read from the line service's database. */
  linkedUserOf(memberId: string): Promise<string | null>;
  /** The rich-menu calls the line service made to LINE for a user (paths after /v2/bot/user/<id>). */
  richMenuCalls(lineUserId: string): string[];
  close(): Promise<void>;
}

export async function startMemberPageHarness(): Promise<MemberPageHarness> {
  const [line, liff] = await Promise.all([startFakeLineApi(), startFakeLiff()]);
  const startedAt = Date.now();
  let shift = 0;
  const clock = () => new Date(START.getTime() + shift + (Date.now() - startedAt));
  const system = await startTestSystem(
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
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-chromium-'));
  // a phone: 390×844 CSS pixels at 3 device pixels each, so a screenshot holds what a register's scanner sees on a
  // real screen (at 1×, a 16-character Code 128 gets about 1.4 pixels a bar and reads only some of the time)
  const browser = await launchBrowser(userDataDir, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 });
  let userSeq = 0;
  let contactSeq = 0;
  return {
    line,
    liff,
    system,
    clock,
    advance: (ms) => void (shift += ms),
    newLineUser: () => `U${(0xa0000 + (userSeq += 1)).toString(16).padStart(32, '0')}`,
    async openPage(lineUserId, options = {}) {
      liff.signIn({ idToken: await liff.mint(lineUserId, { now: clock(), ...options.token }), language: options.language ?? 'ja' });
      const page = await browser.newPage();
      const response = await page.goto(`${system.subgraphs.line.url}/line/member${options.query ?? ''}`);
      expect(response?.status()).toBe(200);
      return page;
    },
    async memberByCode(code) {
      const data = ok(
        await system.graphql<{ memberByCode: StaffView }>(
          `query($code: String!) { memberByCode(code: $code) { id displayName email memberCode lineAccount { displayName } points { balance } } }`,
          { code },
          system.staffHeaders(),
        ),
      );
      return data.memberByCode;
    },
    async registerMember(name) {
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
    },
    linkedUserOf: async (memberId) => ((await system.db.collection('line_links').findOne({ memberId }))?._id as string | undefined) ?? null,
    richMenuCalls: (userId) => line.requests.filter((r) => r.path.startsWith(`/v2/bot/user/${userId}/richmenu`)).map((r) => r.path.slice(`/v2/bot/user/${userId}`.length)),
    async close() {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
      await system.close();
      await Promise.all([line.close(), liff.close()]);
    },
  };
}

export const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? null;

/** A list's rows as the reader sees them: each row's parts, in order. */
export async function rows(page: Page, selector: string): Promise<string[][]> {
  const items = await page.locator(`${selector} li`).all();
  return Promise.all(items.map((item) => item.locator(':scope > *').allTextContents()));
}

/** Decodes a screenshot of one element of the page, as a register's scanner would read the screen. */
export async function decode(page: Page, selector: string, format: BarcodeFormat): Promise<string> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  const luminances = new Uint8ClampedArray(png.width * png.height);
  for (let i = 0; i < luminances.length; i += 1) {
    const [r, g, b] = [png.data[i * 4]!, png.data[i * 4 + 1]!, png.data[i * 4 + 2]!];
    luminances[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  const reader = new MultiFormatReader();
  // PURE_BARCODE: the screenshot is the code and its quiet zone alone, which is what that mode reads. zxing's
  // general QR detector (made for camera pictures) failed on 13 of 600 random member codes drawn at this size
  // (the 528-pixel QR gets modules of 18 and 19 pixels), while a pure read of the same screenshots missed none.
  const hints = new Map<DecodeHintType, unknown>([
    [DecodeHintType.POSSIBLE_FORMATS, [format]],
    [DecodeHintType.TRY_HARDER, true],
    [DecodeHintType.PURE_BARCODE, true],
  ]);
  const result = reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminances, png.width, png.height))), hints);
  expect(result.getBarcodeFormat()).toBe(format);
  return result.getText();
}

/** Joins on the page's form (in Japanese); the page is left showing what the API answered. */
export async function join(page: Page, fields: { name: string; contact: string; marketing?: boolean; birthday?: string }): Promise<void> {
  await page.getByLabel('お名前').fill(fields.name);
  await page.locator('#join').getByLabel('電話番号またはメールアドレス').fill(fields.contact);
  if (fields.birthday) await page.locator('#join-birthday').fill(fields.birthday);
  if (fields.marketing) await page.getByLabel('お得な情報やキャンペーンのメッセージを受け取る').check();
  await page.getByLabel('会員規約に同意する（必須）').check();
  await page.getByRole('button', { name: '会員登録する' }).click();
}

/** Links on the page's form (in Japanese). */
export async function linkOnPage(page: Page, memberCode: string, contact: string): Promise<void> {
  await page.getByLabel('会員番号（13桁）').fill(memberCode);
  await page.locator('#link').getByLabel('電話番号またはメールアドレス').fill(contact);
  await page.getByRole('button', { name: '連携する' }).click();
}
