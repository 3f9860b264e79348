import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startGateway } from '@omo/gateway/src/server';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { createLogger } from '@omo/lib/core/logger';
import { launchBrowser } from '@omo/tools/testing/browser';
import { testConfig } from '@omo/tools/testing/config';
import { buildConsole } from '../../scripts/console-build';
import { ok, recordOneLinePurchase, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The staff console as staff use it: built by Vite as `npm start` builds it, served by the gateway at /console/,
 * driven in Chromium with nothing reachable but the gateway. Every figure it shows is checked against what the API
 * answers on its own; what a STAFF member may not do is neither offered nor, when forced, allowed.
 */
let system: TestSystem;
let browser: BrowserContext;
let tempDir: string;
let consoleUrl: string;
const stores: { shibuya: string; online: string } = { shibuya: '', online: '' };
const members: { hanako: string; taro: string; jiro: string } = { hanako: '', taro: '', jiro: '' };
/** Every member the tests registered, for sums computed apart from the console. */
const everyone: string[] = [];
const devToken = (role: 'STAFF' | 'ADMIN') => signUserToken({ sub: `console-${role.toLowerCase()}`, role }, testConfig());

async function register(displayName: string, phone: string): Promise<string> {
  const data = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName, phone, registeredVia: 'STORE', registeredStoreId: stores.shibuya, marketingConsent: true } },
      system.adminHeaders(),
    ),
  );
  everyone.push(data.registerMember.id);
  return data.registerMember.id;
}

async function balanceOf(memberId: string): Promise<number> {
  const data = ok(await system.graphql<{ member: { points: { balance: number } } }>('query($id: ID!) { member(id: $id) { points { balance } } }', { id: memberId }, system.staffHeaders()));
  return data.member.points.balance;
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'omo-console-'));
  const dir = path.join(tempDir, 'dist');
  const [started] = await Promise.all([startTestSystem({}, undefined, { console: { dir, devSignIn: devToken } }), buildConsole(dir)]);
  system = started;
  consoleUrl = system.gatewayUrl.replace(/\/graphql$/, '/console/');
  const store = async (code: string, name: string, kind: 'PHYSICAL' | 'ONLINE') =>
    ok(await system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code, name, kind } }, system.adminHeaders())).createStore.id;
  stores.shibuya = await store('CON1', '渋谷店', 'PHYSICAL');
  stores.online = await store('CONEC', 'オンラインストア', 'ONLINE');
  members.hanako = await register('山田 花子', '090-1111-2222');
  members.taro = await register('山田 太郎', '090-3333-4444');
  members.jiro = await register('佐藤 次郎', '090-5555-6666');
  const at = new Date(Date.now() - 60_000);
  for (const [key, memberId, storeId, yen] of [
    ['c-1', members.hanako, stores.shibuya, 12_000],
    ['c-2', members.taro, stores.online, 3_000],
  ] as const) {
    expect(await recordOneLinePurchase(system, { idempotencyKey: key, memberId, storeId, yen, occurredAt: at })).toBe('COMPLETED');
  }
  // every member has linked a LINE account (as the line service stores a link): segments count linked members
  await system.db
    .collection('line_links')
    .insertMany(Object.values(members).map((memberId) => ({ _id: `U${memberId}` as never, memberId, linkedAt: new Date(), friendStatus: 'FRIEND' })));
  browser = await launchBrowser(path.join(tempDir, 'chromium'), { viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await system?.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

/** A page with every host but the gateway refused, its script errors and refused loads collected. */
async function openConsole(): Promise<{ page: Page; problems: string[] }> {
  const gateway = new URL(system.gatewayUrl).origin;
  const page = await browser.newPage();
  const problems: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === gateway || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    problems.push(`went to ${url}`);
    return route.abort('internetdisconnected');
  });
  page.on('pageerror', (error) => void problems.push(error.message));
  // what the page's policy refused (it makes no request the route sees) and any other script error it logged
  page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
  await page.goto(consoleUrl);
  return { page, problems };
}

async function signIn(page: Page, role: 'STAFF' | 'ADMIN'): Promise<void> {
  await page.getByRole('button', { name: `Sign in as ${role}` }).click();
  await page.getByRole('navigation').getByText(role, { exact: true }).waitFor();
}

describe('the staff console', () => {
  it('signs a STAFF member in, finds a member by phone, and adjusts their points: balance and history change', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'STAFF');
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Search by').selectOption('phone');
    await page.getByLabel('Search term').fill('09011112222');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: '山田 花子' }).click();

    const before = await balanceOf(members.hanako);
    expect(before).toBeGreaterThan(0);
    await expect(page.getByTestId('balance').innerText()).resolves.toBe(before.toLocaleString('en-GB'));
    await page.getByLabel('Points (+ or −)').fill('150');
    await page.getByLabel('Reason (shown to the member)').fill('お詫びポイント');
    await page.getByRole('button', { name: 'Adjust points' }).click();

    await page.getByTestId('balance').getByText((before + 150).toLocaleString('en-GB'), { exact: true }).waitFor();
    expect(await balanceOf(members.hanako)).toBe(before + 150);
    const newest = page.getByTestId('history').locator('tbody tr').first();
    await expect(newest.innerText()).resolves.toMatch(/ADJUST\s+\+150\s+[\d,]+\s+お詫びポイント/);
    // the form is empty again: a second click would need a new amount (and sends a new idempotency key)
    await expect(page.getByLabel('Points (+ or −)').inputValue()).resolves.toBe('');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('finds members by the start of their name', async () => {
    const { page } = await openConsole();
    await signIn(page, 'STAFF');
    await page.getByLabel('Search by').selectOption('name');
    await page.getByLabel('Search term').fill('山田');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: '山田 太郎' }).waitFor();
    await expect(page.locator('tbody tr').allInnerTexts()).resolves.toEqual([expect.stringContaining('山田 花子'), expect.stringContaining('山田 太郎')]);
    await page.close();
  });

  it('lets ADMIN merge a duplicate after a preview of what moves; its card code then leads to the survivor', async () => {
    const survivor = await register('鈴木 一郎', '080-1000-2000');
    const duplicate = await register('鈴木 一郎 旧カード', '080-3000-4000');
    expect(await recordOneLinePurchase(system, { idempotencyKey: 'c-merge', memberId: duplicate, storeId: stores.shibuya, yen: 5_000, occurredAt: new Date(Date.now() - 60_000) })).toBe('COMPLETED');
    const [survivorPoints, duplicatePoints] = await Promise.all([balanceOf(survivor), balanceOf(duplicate)]);
    const { memberCode } = ok(await system.graphql<{ member: { memberCode: string } }>('query($id: ID!) { member(id: $id) { memberCode } }', { id: duplicate }, system.staffHeaders())).member;

    const { page, problems } = await openConsole();
    await signIn(page, 'ADMIN');
    await page.goto(`${consoleUrl}members/${survivor}`);
    await page.getByLabel('Merge a duplicate into this member: its card code').fill(memberCode);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('merge-preview');
    await expect(preview.innerText()).resolves.toContain(`鈴木 一郎 旧カード (${memberCode}) — ${duplicatePoints.toLocaleString('en-GB')} pt`);
    await expect(preview.innerText()).resolves.toContain('1 purchases');
    await page.getByRole('button', { name: 'Merge' }).click();
    await page.getByRole('listitem').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('balance').getByText((survivorPoints + duplicatePoints).toLocaleString('en-GB'), { exact: true }).waitFor();
    expect(await balanceOf(survivor)).toBe(survivorPoints + duplicatePoints);

    // the old card, searched for, opens the survivor
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Search by').selectOption('code');
    await page.getByLabel('Search term').fill(memberCode);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: '鈴木 一郎', exact: true }).click();
    await page.waitForURL(`${consoleUrl}members/${survivor}`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('builds a segment with a live count equal to the API’s, saves it, and runs a dry run that finishes', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'STAFF');
    await page.getByRole('link', { name: 'Segments' }).click();
    // the starting condition is a point balance of at least 100; make it "more than the sign-up bonus alone": who
    // bought in the store (the online purchase's points are still pending)
    const least = (await balanceOf(members.jiro)) + 1;
    await page.getByLabel('at least').fill(String(least));
    const count = async (d: unknown) =>
      ok(await system.graphql<{ segmentPreview: { memberCount: number } }>('query($d: SegmentDefinitionInput) { segmentPreview(definition: $d) { memberCount } }', { d }, system.staffHeaders())).segmentPreview.memberCount;
    const bought = await count({ and: [{ pointBalance: { min: least } }] });
    expect(bought).toBe(1);
    await page.getByTestId('segment-count').getByText(`${bought} members match`).waitFor();

    // AND registered in a store (all three were); then NOT the balance: the other two
    await page.getByLabel('Add a condition').selectOption('registeredVia');
    await page.getByTestId('segment-count').getByText(`${bought} members match`).waitFor();
    const balanceCondition = page.locator('.condition', { hasText: 'Point balance' });
    await balanceCondition.getByLabel('NOT').check();
    await expect(count({ and: [{ not: { pointBalance: { min: least } } }, { registeredVia: 'STORE' }] })).resolves.toBe(2);
    await page.getByTestId('segment-count').getByText('2 members match').waitFor();

    await page.getByLabel('Segment name').fill('店舗登録・ポイントの少ない会員');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('cell', { name: '店舗登録・ポイントの少ない会員' }).waitFor();
    const saved = ok(await system.graphql<{ segments: { id: string; name: string; definition: unknown }[] }>('{ segments { id name definition } }', {}, system.staffHeaders())).segments;
    expect(saved).toEqual([expect.objectContaining({ name: '店舗登録・ポイントの少ない会員', definition: { and: [{ not: { pointBalance: { min: least } } }, { registeredVia: 'STORE' }] } })]);

    // a condition left unfinished (no store chosen) is neither counted nor saved as a wider segment
    await page.getByLabel('Add a condition').selectOption('storesVisited');
    await page.getByTestId('segment-count').getByText('Finish or remove the condition that is not filled in').waitFor();
    await expect(page.getByRole('button', { name: 'Save segment' }).isDisabled()).resolves.toBe(true);
    await page.locator('.condition', { hasText: 'Bought at stores' }).getByLabel('渋谷店').check();
    await page.getByTestId('segment-count').getByText('members match').waitFor();

    await page.getByRole('link', { name: 'Send a message' }).click();
    await page.getByLabel('Message').fill('週末はポイント2倍です');
    await expect(page.locator('.phone').innerText()).resolves.toContain('週末はポイント2倍です');
    await page.getByRole('button', { name: 'Run the dry run' }).click();
    const delivery = page.getByTestId('delivery').first();
    await delivery.and(page.locator('[data-status="COMPLETED"]')).waitFor({ timeout: 20_000 });
    await expect(delivery.innerText()).resolves.toMatch(/COMPLETED\s+dry run\s+recipients 2 · sent 0 · failed 0/);
    await expect(delivery.locator('progress').getAttribute('value')).resolves.toBe('100');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets ADMIN create a POS key for a store, shown once, and revoke it: the gateway then refuses it', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'ADMIN');
    await page.getByRole('link', { name: 'POS keys' }).click();
    await page.getByLabel('Label (e.g. the register)').fill('渋谷レジ1');
    await page.getByLabel('渋谷店').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').locator('code').innerText()).trim();
    const { memberCode } = ok(await system.graphql<{ member: { memberCode: string } }>('query($id: ID!) { member(id: $id) { memberCode } }', { id: members.hanako }, system.staffHeaders())).member;
    const lookup = (headers: Record<string, string>) => system.graphql('query($code: String!) { memberByCode(code: $code) { id } }', { code: memberCode }, headers);
    expect(await lookup({ 'x-api-key': key })).toMatchObject({ data: { memberByCode: { id: members.hanako } } });

    const row = page.getByTestId('api-key').filter({ hasText: '渋谷レジ1' });
    await expect(row.innerText()).resolves.toContain('渋谷店');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    expect((await lookup({ 'x-api-key': key })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets ADMIN set a store’s earn rate, which the rules then hold and the audit shows with who set it', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'ADMIN');
    await page.getByRole('link', { name: 'Campaigns & rules' }).click();
    const form = page.getByRole('form', { name: 'Set a store rate' });
    await form.getByLabel('Store').selectOption(stores.online);
    await form.getByLabel('Points').fill('3');
    await form.getByLabel('per yen').fill('100');
    await form.getByRole('button', { name: 'Set store rate' }).click();
    await page.getByTestId('rule-audit').locator('tbody tr').first().getByText('SET_STORE_EARN_RATE').waitFor();
    await expect(page.getByTestId('rule-audit').locator('tbody tr').first().innerText()).resolves.toContain('staff:console-admin');
    const rules = ok(await system.graphql<{ earnRules: { storeRates: { storeId: string; ratePoints: number; ratePerYen: number }[] } }>('{ earnRules { storeRates { storeId ratePoints ratePerYen } } }', {}, system.staffHeaders())).earnRules;
    expect(rules.storeRates).toContainEqual({ storeId: stores.online, ratePoints: 3, ratePerYen: 100 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets ADMIN add a reward and withdraw it; its audit shows both revisions', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'ADMIN');
    await page.getByRole('link', { name: 'Campaigns & rules' }).click();
    const form = page.getByRole('form', { name: 'New reward' });
    await form.getByLabel('Name (Japanese)').fill('コーヒー1杯無料');
    await form.getByLabel('Name (English)').fill('A free coffee');
    await form.getByLabel('Points').fill('250');
    await form.getByLabel('Benefit').selectOption('FREE_ITEM');
    await form.getByLabel('SKU', { exact: true }).fill('COFFEE-S');
    await form.getByLabel('渋谷店').check();
    await form.getByRole('button', { name: 'Add reward' }).click();
    const row = page.getByRole('row').filter({ hasText: 'A free coffee' });
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: 'Withdraw' }).click();
    await row.getByText('inactive').waitFor();
    const rewards = ok(await system.graphql<{ rewards: { id: string; name: { en: string } }[] }>('{ rewards { id name { en } } }', {}, system.staffHeaders())).rewards;
    const { id } = rewards.find((r) => r.name.en === 'A free coffee')!;
    const changes = ok(await system.graphql<{ rewardChanges: { revision: number; changes: { field: string; after: string | null }[] }[] }>('query($id: ID!) { rewardChanges(rewardId: $id) { revision changes { field after } } }', { id }, system.staffHeaders())).rewardChanges;
    expect(changes.map((c) => c.revision)).toEqual([1, 2]);
    expect(changes[0]!.changes).toEqual(expect.arrayContaining([{ field: 'pointsCost', after: '250' }, { field: 'storeIds', after: JSON.stringify([stores.shibuya]) }, { field: 'online', after: 'true' }]));
    expect(changes[1]!.changes).toEqual([{ field: 'active', after: 'false' }]);
    await row.getByRole('button', { name: /Audit/ }).click();
    await page.getByRole('listitem').filter({ hasText: 'r2 UPDATE_REWARD' }).getByText('active: true → false').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets ADMIN reword the points-expiring notification and its timing, as the API then has it', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'ADMIN');
    await page.getByRole('link', { name: 'Notifications' }).click();
    const form = page.getByRole('form', { name: 'Points expiring: wording' });
    await form.getByLabel('Message (Japanese; a blank line starts another)').fill('{points}ポイントが{date}に失効します。\n\nお早めにご利用ください。');
    await form.getByLabel('Days before expiry').fill('14');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: '14 days before' }).waitFor();
    const rules = ok(await system.graphql<{ notificationRules: { kind: string; daysBefore: number | null; messages: { text: string }[]; updatedBy: string }[] }>('{ notificationRules { kind daysBefore messages { text } updatedBy } }', {}, system.staffHeaders())).notificationRules;
    expect(rules.find((r) => r.kind === 'POINTS_EXPIRING')).toEqual({ kind: 'POINTS_EXPIRING', daysBefore: 14, messages: [{ text: '{points}ポイントが{date}に失効します。' }, { text: 'お早めにご利用ください。' }], updatedBy: 'staff:console-admin' });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads a campaign’s start and end as Japan time, in a browser set to another time zone', async () => {
    const elsewhere = await launchBrowser(path.join(tempDir, 'chromium-ny'), { viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'America/New_York' });
    try {
      const page = await elsewhere.newPage();
      await page.goto(consoleUrl);
      await signIn(page, 'ADMIN');
      await page.getByRole('link', { name: 'Campaigns & rules' }).click();
      const form = page.getByRole('form', { name: 'New campaign' });
      await form.getByLabel('Name').fill('年末セール');
      await form.getByLabel('Starts (Japan time)').fill('2030-12-26T10:00');
      await form.getByLabel('Ends (Japan time)').fill('2031-01-01T00:00');
      await form.getByRole('button', { name: 'Create campaign' }).click();
      await page.getByRole('cell', { name: '年末セール', exact: true }).waitFor();
      const campaigns = ok(await system.graphql<{ campaigns: { name: string; startsAt: string; endsAt: string }[] }>('{ campaigns(all: true) { name startsAt endsAt } }', {}, system.staffHeaders())).campaigns;
      expect(campaigns.find((c) => c.name === '年末セール')).toEqual({ name: '年末セール', startsAt: '2030-12-26T01:00:00.000Z', endsAt: '2030-12-31T15:00:00.000Z' });
    } finally {
      await elsewhere.close();
    }
  });

  it('downloads the liability CSV whose balance total equals the sum of every member’s balance', async () => {
    const { page, problems } = await openConsole();
    await signIn(page, 'STAFF');
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByTestId('liability').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const file = await (await download).path();
    const rows = (await readFile(file, 'utf8'))
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
      .map((line) => line.split(','));
    const value = (name: string) => Number(rows.find((row) => row[0] === name)?.[1]);

    const balances = (await Promise.all(everyone.map(balanceOf))).reduce((sum, b) => sum + b, 0);
    expect(balances).toBeGreaterThan(0);
    expect(value('balance_points')).toBe(balances);
    expect(value('outstanding_yen')).toBe(value('outstanding_points'));
    const months = rows.slice(rows.findIndex((row) => row[0] === 'expiry_month') + 1);
    expect(months.reduce((sum, row) => sum + Number(row[1]), 0)).toBe(value('outstanding_points') + value('owed_points'));
    // the chart is drawn, and the table beside it has the CSV's months
    await expect(page.getByRole('img', { name: 'Outstanding points by expiry month' }).isVisible()).resolves.toBe(true);
    const shown = await page.getByTestId('liability').locator('xpath=following-sibling::table').locator('tbody tr td:first-child').allInnerTexts();
    expect(shown).toEqual(months.map((row) => row[0]));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows members by channel and a campaign’s results as the API computes them, with their CSVs', async () => {
    const campaign = ok(
      await system.graphql<{ createCampaign: { id: string } }>(
        'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        { input: { name: '渋谷店ポイント2倍', kind: 'MULTIPLIER', multiplierPercent: 200, storeIds: [stores.shibuya], startsAt: new Date(Date.now() - 3_600_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() } },
        system.adminHeaders(),
      ),
    ).createCampaign.id;
    // a purchase in its window at its store (the sales before it, a minute ago, are in the window too)
    const buyer = await register('高橋 美咲', '080-7000-8000');
    expect(await recordOneLinePurchase(system, { idempotencyKey: 'c-campaign', memberId: buyer, storeId: stores.shibuya, yen: 4_000, occurredAt: new Date() })).toBe('COMPLETED');
    const { page, problems } = await openConsole();
    await signIn(page, 'STAFF');
    await page.getByRole('link', { name: 'Reports' }).click();
    const asked: { query: string; variables: Record<string, unknown> }[] = [];
    page.on('request', (request) => void (request.method() === 'POST' && request.url().endsWith('/graphql') && asked.push(JSON.parse(request.postData() ?? '{}') as (typeof asked)[number])));

    await page.getByRole('tab', { name: 'Members by channel' }).click();
    await page.getByTestId('channel-totals').waitFor();
    const variables = asked.find((r) => r.query.includes('membersByChannel'))!.variables;
    const api = ok(await system.graphql<{ membersByChannel: { storeOnly: number; onlineOnly: number; both: number } }>('query($from: DateTime!, $to: DateTime!) { membersByChannel(from: $from, to: $to) { storeOnly onlineOnly both } }', variables, system.staffHeaders())).membersByChannel;
    expect(api.storeOnly + api.onlineOnly + api.both).toBeGreaterThan(0);
    await expect(page.getByTestId('channel-totals').innerText()).resolves.toBe(`Over the period: stores only ${api.storeOnly} · online only ${api.onlineOnly} · both ${api.both}`);

    // months staff pick: from the first of the first to the end of the last, in Japan (a 30-day month included)
    await page.getByLabel('From month').fill('2026-02');
    await page.getByLabel('To month').fill('2026-04');
    const picked = page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('membersByChannel'));
    await page.getByRole('button', { name: 'Show' }).click();
    expect((JSON.parse((await picked).postData() ?? '{}') as { variables: unknown }).variables).toEqual({ from: '2026-01-31T15:00:00.000Z', to: '2026-04-30T15:00:00.000Z' });

    await page.getByRole('tab', { name: 'Campaign results' }).click();
    await page.getByLabel('Campaign').selectOption(campaign);
    await page.getByTestId('campaign-results').waitFor();
    const results = ok(
      await system.graphql<{ campaign: { purchaseResults: { during: { purchases: number; sales: number }; before: { purchases: number; sales: number } } } }>(
        'query($id: ID!) { campaign(id: $id) { purchaseResults { during { purchases sales } before { purchases sales } } } }',
        { id: campaign },
        system.staffHeaders(),
      ),
    ).campaign.purchaseResults;
    expect(results.during.purchases).toBeGreaterThan(0);
    const rows = await page.getByTestId('campaign-results').locator('tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(new RegExp(`^Purchases\\s+${results.before.purchases}\\s+${results.during.purchases}\\s`));
    expect(rows[1]).toMatch(new RegExp(`^Sales \\(yen\\)\\s+${results.before.sales.toLocaleString('en-GB')}\\s+${results.during.sales.toLocaleString('en-GB')}\\s`));
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const csv = await readFile(await (await download).path(), 'utf8');
    expect(csv).toContain(`\r\nPurchases,${results.before.purchases},${results.during.purchases},`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('offers a STAFF member no ADMIN action, and the gateway refuses one forced from the console’s session', async () => {
    const { page } = await openConsole();
    await signIn(page, 'STAFF');
    await expect(page.getByRole('navigation').getByRole('link', { name: 'POS keys' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Stores' }).click();
    await page.getByRole('cell', { name: '渋谷店' }).waitFor();
    await expect(page.getByRole('button', { name: 'Add store' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Campaigns & rules' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await expect(page.getByRole('button', { name: 'Create campaign' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'End now' }).count()).resolves.toBe(0);
    // staff read the rules' audit: a campaign an administrator created (next month, so it changes no other test)
    const inAMonth = Date.now() + 30 * 86_400_000;
    ok(
      await system.graphql(
        'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        { input: { name: '来月のボーナス', kind: 'FIXED_BONUS', bonusPoints: 50, startsAt: new Date(inAMonth).toISOString(), endsAt: new Date(inAMonth + 86_400_000).toISOString() } },
        system.adminHeaders(),
      ),
    );
    await page.reload();
    await expect(page.getByTestId('rule-audit').locator('tbody tr').first().innerText()).resolves.toMatch(/staff:admin-1\s+CREATE_CAMPAIGN · 来月のボーナス\s+name: — → "来月のボーナス"/);
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('cell', { name: 'Points expiring' }).waitFor();
    await expect(page.getByRole('checkbox').count()).resolves.toBe(0);
    await page.goto(`${consoleUrl}members/${members.taro}`);
    await page.getByRole('heading', { name: 'Merges' }).waitFor();
    await expect(page.getByRole('button', { name: 'Preview' }).count()).resolves.toBe(0);
    await page.goto(`${consoleUrl}api-keys`);
    await page.getByText('POS keys are managed by ADMIN staff.').waitFor();

    // forced: the console's own STAFF session calling an ADMIN mutation
    const forced = await page.evaluate(async (storeId) => {
      const token = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('omo-console-token');
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation($s: [ID!]!) { createApiKey(input: { label: "forced", storeIds: $s }) { key } }', variables: { s: [storeId] } }),
      });
      return (await response.json()) as { data: unknown; errors?: { extensions?: { code?: string } }[] };
    }, stores.shibuya);
    expect(forced.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await system.graphql<{ apiKeys: { label: string }[] }>('{ apiKeys { label } }', {}, system.adminHeaders())).apiKeys.map((k) => k.label)).not.toContain('forced');
    await page.close();
  });

  it('speaks Japanese when asked, and keeps the choice', async () => {
    const { page } = await openConsole();
    await page.getByRole('button', { name: '日本語' }).click();
    await page.getByRole('button', { name: 'STAFF としてサインイン' }).click();
    await page.getByRole('link', { name: 'レポート' }).click();
    await page.getByRole('tab', { name: 'ポイント負債' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: '会員' }).waitFor();
    await page.close();
  });
});

describe('sign-in', () => {
  it('offers no development sign-in in production, and refuses one asked for', async () => {
    // the gateway alone, as start:gateway runs it, given a development sign-in it must not use
    const production = await startGateway({
      config: { ...testConfig(), NODE_ENV: 'production' },
      logger: createLogger('silent'),
      port: 0,
      console: { dir: path.join(tempDir, 'dist'), devSignIn: devToken },
    });
    try {
      const offered = await fetch(`${production.url}/console/session/config`).then((r) => r.json());
      expect(offered).toEqual({ devSignIn: false, oidc: null });
      const asked = await fetch(`${production.url}/console/session/dev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'ADMIN' }) });
      expect(asked.status).toBe(404);
      await expect(asked.text()).resolves.not.toMatch(/eyJ/);
      // the console itself is still served: in production staff sign in with their identity provider's token
      const page = await fetch(`${production.url}/console/members`);
      expect(page.status).toBe(200);
      await expect(page.text()).resolves.toContain('<div id="root">');
      expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    } finally {
      await production.close();
    }
  });

  it('answers the development sign-in on this machine’s loopback names only', async () => {
    const ask = (host: string) =>
      new Promise<number>((resolve, reject) => {
        // fetch sets Host from the URL; a rebinding page's request carries its own domain
        const request = http.request(`${consoleUrl}session/dev`, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end(JSON.stringify({ role: 'ADMIN' }));
      });
    const port = new URL(consoleUrl).port;
    await expect(ask(`127.0.0.1:${port}`)).resolves.toBe(200);
    await expect(ask(`localhost:${port}`)).resolves.toBe(200);
    await expect(ask(`attacker.example:${port}`)).resolves.toBe(403);
  });

  it('refuses a development sign-in for a role other than STAFF or ADMIN', async () => {
    const response = await fetch(`${consoleUrl}session/dev`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'CUSTOMER' }) });
    expect(response.status).toBe(400);
  });
});
