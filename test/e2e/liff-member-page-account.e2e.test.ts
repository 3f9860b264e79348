import { BarcodeFormat } from '@zxing/library';
import { HOUR_MS } from '@omo/lib/core/time';
import { rewardsDriver } from '../helpers/rewards';
import { ok, recordOneLinePurchase } from '../helpers/system';
import { decode, GUEST_MENU, linkOnPage, MEMBER_MENU, rows, startMemberPageHarness, text, type MemberPageHarness } from '../helpers/liff-member-page';

/**
 * The LIFF member page for a member looking after their account, end to end in Chromium: a consent never given
 * shown as such and left unrecorded, coupons with the code the register scans, unlinking, notifications in the
 * language of a user who only ever used the page, and an ID token that expires while the page is open.
 */
let h: MemberPageHarness;
let store = '';

beforeAll(async () => {
  h = await startMemberPageHarness();
  store = ok(
    await h.system.graphql<{ createStore: { id: string } }>(
      'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
      { input: { code: 'A001', name: '渋谷店', kind: 'PHYSICAL' } },
      h.system.adminHeaders(),
    ),
  ).createStore.id;
}, 60_000);
afterAll(() => h?.close());

const consentOf = async (code: string) =>
  ok(
    await h.system.graphql<{ memberByCode: { birthday: string | null; marketingConsent: { granted: boolean; source: string } } }>(
      `query($code: String!) { memberByCode(code: $code) { birthday marketingConsent { granted source } } }`,
      { code },
      h.system.staffHeaders(),
    ),
  ).memberByCode;

describe('the LIFF member page’s account', () => {
  it('shows a consent the member never gave as not yet confirmed, and saving a birthday records no consent', async () => {
    const member = await h.registerMember('legacy');
    // registered before consent was kept: no recorded choice
    await h.system.db.collection('members').updateOne({ memberCode: member.memberCode }, { $unset: { marketingConsent: '' } });
    expect(await consentOf(member.memberCode)).toEqual({ birthday: null, marketingConsent: { granted: true, source: 'LEGACY' } });
    const page = await h.openPage(h.newLineUser());
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#settings').waitFor();
    expect(await page.locator('#consent').isChecked()).toBe(true);
    expect(await text(page, '#consent-note')).toBe('まだご確認いただいていません（現在は受け取る設定です）');

    await page.locator('#birthday').fill('1988-02-03');
    await page.getByRole('button', { name: '保存する' }).click();
    await page.locator('#settings [role=status]', { hasText: '保存しました' }).waitFor();
    expect(await consentOf(member.memberCode)).toEqual({ birthday: '1988-02-03', marketingConsent: { granted: true, source: 'LEGACY' } });
    expect(await text(page, '#consent-note')).toBe('まだご確認いただいていません（現在は受け取る設定です）');

    // unticking is a choice: recorded from LINE, and no longer "not yet confirmed"
    await page.locator('#consent').uncheck();
    await page.getByRole('button', { name: '保存する' }).click();
    await page.locator('#consent-note').waitFor({ state: 'detached' });
    expect(await consentOf(member.memberCode)).toEqual({ birthday: '1988-02-03', marketingConsent: { granted: false, source: 'LINE' } });
    await page.close();
  });

  it('shows each coupon’s code, large, with the Code 128 barcode the registers scan', async () => {
    const member = await h.registerMember('coupons');
    const rewards = rewardsDriver(() => h.system, () => store);
    const coupon = ok(await rewards.redeem(member.id, await rewards.createReward({ pointsCost: 100 }), 'liff-coupon-code-1')).redeemReward;
    const page = await h.openPage(h.newLineUser());
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#coupons li').waitFor();
    const until = new Date(new Date(coupon.expiresAt).getTime() + 9 * HOUR_MS);
    // name, validity, the code; the barcode (a picture) has no text
    expect((await rows(page, '#coupons')).map((row) => row.map((part) => part.trim()))).toEqual([['500円引き', `有効期限 ${until.getUTCFullYear()}/${until.getUTCMonth() + 1}/${until.getUTCDate()}`, coupon.code, '']]);
    expect(await decode(page, '#coupons li .coupon-barcode', BarcodeFormat.CODE_128)).toBe(coupon.barcodeValue);
    await page.close();
  });

  it('lets a member unlink this LINE account after confirming, and puts them back on the guest menu', async () => {
    const member = await h.registerMember('unlinking');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();

    await page.getByRole('button', { name: '連携を解除する' }).click();
    expect(await text(page, '#unlink-confirm p')).toBe('このLINEアカウントと会員の連携を解除しますか？会員証はこのLINEに表示されなくなります。ポイントと会員資格はそのまま残ります。');
    await page.getByRole('button', { name: 'やめる' }).click();
    expect(await page.locator('#unlink-confirm').count()).toBe(0);
    expect(await h.linkedUserOf(member.id)).toBe(user);

    await page.getByRole('button', { name: '連携を解除する' }).click();
    await page.getByRole('button', { name: '解除する', exact: true }).click();
    await page.locator('#notice', { hasText: '連携を解除しました。' }).waitFor();
    expect(await page.locator('#card').count()).toBe(0);
    expect(await page.locator('#join').count()).toBe(1);
    expect(await h.linkedUserOf(member.id)).toBeNull();
    expect(h.richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`, `/richmenu/${GUEST_MENU}`]);
    await page.close();
  });

  it('puts a user back on the guest menu when an unlink died after removing the link and the user taps unlink again', async () => {
    const member = await h.registerMember('half-unlinked');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();
    // the unlink that removed the link died before the guest menu was queued
    await h.system.db.collection('line_links').deleteOne({ _id: user as never });
    expect(h.richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`]);

    await page.getByRole('button', { name: '連携を解除する' }).click();
    await page.getByRole('button', { name: '解除する', exact: true }).click();
    await page.locator('[role="alert"]', { hasText: 'このLINEアカウントはまだ会員と連携していません。' }).waitFor();
    expect(h.richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`, `/richmenu/${GUEST_MENU}`]);
    await page.close();
  });

  it('sends notifications in English to a user whose LINE is in English and who only joined on the page', async () => {
    const user = h.newLineUser();
    h.line.profileLanguages.set(user, 'en-US');
    const page = await h.openPage(user, { language: 'en-US' });
    await page.getByLabel('Name').fill('Emily Carter');
    await page.locator('#join').getByLabel('Phone number or e-mail').fill('emily.page@example.com');
    await page.getByLabel('I agree to the membership terms (required)').check();
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('#card').waitFor();
    const member = await h.memberByCode((await text(page, '#member-code'))!.replace(/\s/g, ''));
    await page.close();

    ok(await h.system.graphql('mutation($input: SetNotificationRuleInput!) { setNotificationRule(input: $input) { kind } }', { input: { kind: 'TIER_UP', enabled: true } }, h.system.adminHeaders()));
    await h.system.subgraphs.line.built.notifications.run(); // the tiers as they are when the rule is on
    expect(await recordOneLinePurchase(h.system, { idempotencyKey: 'liff-english-tier-up', storeId: store, memberId: member.id, yen: 60_000, occurredAt: h.clock() })).toBe('COMPLETED');
    const before = h.line.sent().length;
    await h.system.subgraphs.line.built.notifications.run();
    await h.system.subgraphs.line.built.deliveries.drain();
    expect(h.line.sent().slice(before)).toEqual([
      { via: 'push', to: user, messages: [{ type: 'text', text: 'Emily Carter, you have reached the Silver tier. Thank you for shopping with us.' }] },
    ]);
  });

  // last: it moves the system's clock two hours on
  it('gets a fresh ID token when the one the page holds has expired, instead of blanking the card', async () => {
    const member = await h.registerMember('staying');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#card').waitFor();

    h.advance(2 * HOUR_MS);
    // what LIFF hands out once the page initialises again
    h.liff.signIn({ idToken: await h.liff.mint(user, { now: h.clock() }), language: 'ja' });
    await page.locator('#birthday').fill('1991-11-22');
    // the refused save initialises LIFF again (a reload) rather than leaving only the error
    await Promise.all([page.waitForEvent('load', { timeout: 10_000 }), page.getByRole('button', { name: '保存する' }).click()]);
    await page.locator('#settings').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.locator('#birthday').fill('1991-11-22');
    await page.getByRole('button', { name: '保存する' }).click();
    await page.locator('#settings [role=status]', { hasText: '保存しました' }).waitFor();
    expect((await consentOf(member.memberCode)).birthday).toBe('1991-11-22');
    await page.close();
  });
});
