import { BarcodeFormat } from '@zxing/library';
import { rewardsDriver } from '../helpers/rewards';
import { ok, recordOneLinePurchase } from '../helpers/system';
import { decode, GUEST_MENU, join, linkOnPage, MEMBER_MENU, rows, SIGNUP_BONUS, startMemberPageHarness, text, type MemberPageHarness } from '../helpers/liff-member-page';

/**
 * The LIFF member page end to end, as customers use it, in Chromium at a phone's size: a stand-in LIFF SDK and
 * LINE Login's key set (test/helpers/fake-liff.ts), the page's own script calling the line service's API with the
 * ID token, members and points behind it, everything read back as staff through the gateway. Refusals (tokens,
 * limits, the page's policy) are in liff-member-page-refusals.e2e.test.ts.
 */
let h: MemberPageHarness;

beforeAll(async () => {
  h = await startMemberPageHarness();
}, 60_000);
afterAll(() => h?.close());

describe('the LIFF member page', () => {
  it('lets someone not linked join in one step: the member exists, is linked, and the page shows their card with the sign-up bonus', async () => {
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await page.getByRole('heading', { name: '新規会員登録' }).waitFor();
    expect(h.liff.inits.at(-1)).toBe(h.liff.liffId);

    await join(page, { name: '佐藤 葵', contact: 'aoi.sato@example.com', birthday: '1995-07-07' });

    await page.locator('#card').waitFor();
    expect(await text(page, '#balance')).toBe(`${SIGNUP_BONUS} pt`);
    expect(await text(page, '#display-name')).toBe('佐藤 葵');
    const code = (await text(page, '#member-code'))!.replace(/\s/g, '');
    expect(code).toMatch(/^\d{13}$/);
    const member = await h.memberByCode(code);
    expect(member).toEqual({ id: expect.any(String), displayName: '佐藤 葵', email: 'aoi.sato@example.com', memberCode: code, lineAccount: { displayName: '山田花子' }, points: { balance: SIGNUP_BONUS } });
    expect(await h.linkedUserOf(member.id)).toBe(user);
    expect(h.richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`]);
    // what they chose at joining, shown back in their details
    expect(await page.locator('#birthday').inputValue()).toBe('1995-07-07');
    expect(await page.locator('#consent').isChecked()).toBe(false);

    // the card registers scan: the EAN-13 and the QR beside it both read as the member code
    expect(await decode(page, '#barcode', BarcodeFormat.EAN_13)).toBe(code);
    expect(await decode(page, '#qr', BarcodeFormat.QR_CODE)).toBe(code);
    await page.close();
  });

  it('answers a repeated join with the same membership: one member per LINE user, linked once', async () => {
    const user = h.newLineUser();
    const first = await h.openPage(user);
    const second = await h.openPage(user);
    await join(first, { name: 'Repeat', contact: '090-3333-0001' });
    await first.locator('#card').waitFor();
    // the second tab still shows the form: its join is a retry of the first
    await join(second, { name: 'Repeat', contact: '090-3333-0001' });
    await second.locator('#card').waitFor();
    expect(await text(second, '#member-code')).toBe(await text(first, '#member-code'));
    expect(await h.system.db.collection('line_links').countDocuments({ _id: user as never })).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });

  it('makes one member and one link of two joins sent at once (a double tap)', async () => {
    const user = h.newLineUser();
    const idToken = await h.liff.mint(user, { now: h.clock() });
    const joinOnce = () =>
      fetch(`${h.system.subgraphs.line.url}/line/member/api/join`, {
        method: 'POST',
        headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Twice', contact: 'twice@example.com', termsAccepted: true, marketingConsent: false }),
      });
    const answers = await Promise.all([joinOnce(), joinOnce()]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const [first, second] = (await Promise.all(answers.map((answer) => answer.json()))) as { state: string; card: { memberCode: string } }[];
    expect(first!.state).toBe('member');
    expect(second!.card.memberCode).toBe(first!.card.memberCode);
    const member = await h.memberByCode(first!.card.memberCode);
    expect(member.points.balance).toBe(SIGNUP_BONUS);
    expect(await h.system.db.collection('members').countDocuments({ email: 'twice@example.com' })).toBe(1);
    expect(await h.linkedUserOf(member.id)).toBe(user);
  });

  it('shows a linked member their card, balance, tier progress, expiring points, history across channels and coupons', async () => {
    const store = ok(
      await h.system.graphql<{ createStore: { id: string } }>(
        'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
        { input: { code: 'L001', name: '渋谷店', kind: 'PHYSICAL' } },
        h.system.adminHeaders(),
      ),
    ).createStore.id;
    const member = await h.registerMember('tanaka');
    expect(await recordOneLinePurchase(h.system, { idempotencyKey: 'liff-history-1', storeId: store, memberId: member.id, yen: 12_000, occurredAt: h.clock() })).toBe('COMPLETED');
    const rewards = rewardsDriver(() => h.system, () => store);
    const coupon = ok(await rewards.redeem(member.id, await rewards.createReward({ pointsCost: 100 }), 'liff-coupon-1')).redeemReward;
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#card').waitFor();

    expect(await text(page, '#balance')).toBe(`${SIGNUP_BONUS + 120 - 100} pt`);
    expect(await text(page, '#tier')).toBe('会員ランク: レギュラー');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('24');
    expect(await text(page, '#tier-progress')).toBe('シルバーまで あと38,000円のお買い物');
    // each lot lasts 365 days, to the end of that day in Japan
    expect(await rows(page, '#expiring')).toEqual([['2027/12/1', `${SIGNUP_BONUS + 120 - 100} pt`]]);
    expect(await rows(page, '#history')).toEqual([
      ['2026/12/1', '利用', '-100 pt'],
      ['2026/12/1', '獲得 · 店舗', '+120 pt'],
      ['2026/12/1', '入会ボーナス', `+${SIGNUP_BONUS} pt`],
    ]);
    const until = new Date(new Date(coupon.expiresAt).getTime() + 9 * 3600_000);
    expect((await rows(page, '#coupons')).map((row) => row.map((part) => part.trim()))).toEqual([['500円引き', `有効期限 ${until.getUTCFullYear()}/${until.getUTCMonth() + 1}/${until.getUTCDate()}`, coupon.code, '']]);
    expect(await h.linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it('links an existing membership with its member code and phone or e-mail, refusing a wrong pair', async () => {
    const member = await h.registerMember('suzuki');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, '090-9999-9999');
    await expect(page.locator('#link [role=alert]').textContent()).resolves.toBe('会員番号、または電話番号・メールアドレスが一致しません。入力内容をご確認ください。');
    expect(await h.linkedUserOf(member.id)).toBeNull();

    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();
    expect(await text(page, '#member-code')).toBe(member.memberCode.replace(/(.{4})(?=.)/g, '$1 '));
    expect(await h.linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it('lets a LINE user whose membership was withdrawn join again, unlinking the ended one', async () => {
    const member = await h.registerMember('leaving');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, member.memberCode, member.phone);
    await page.locator('#card').waitFor();
    await page.close();
    ok(await h.system.graphql(`mutation($id: ID!) { withdrawMember(id: $id) { status } }`, { id: member.id }, h.system.staffHeaders()));

    const reopened = await h.openPage(user);
    await reopened.locator('#notice').waitFor();
    expect(await text(reopened, '#notice')).toBe('連携していた会員資格は終了しています。新しく会員登録するか、お持ちの会員と連携してください。');
    expect(await reopened.locator('#card').count()).toBe(0);
    await join(reopened, { name: 'Returning', contact: 'returning@example.com' });
    await reopened.locator('#card').waitFor();
    const code = (await text(reopened, '#member-code'))!.replace(/\s/g, '');
    expect(code).not.toBe(member.memberCode);
    const joined = await h.memberByCode(code);
    expect(await h.linkedUserOf(joined.id)).toBe(user);
    expect(await h.linkedUserOf(member.id)).toBeNull();
    // the menu left the ended membership with its link, and came back with the new one
    expect(h.richMenuCalls(user)).toEqual([`/richmenu/${MEMBER_MENU}`, `/richmenu/${GUEST_MENU}`, `/richmenu/${MEMBER_MENU}`]);
    await reopened.close();
  });

  it('offers linking when the joining contact is already a member’s, and links it there', async () => {
    const member = await h.registerMember('kato');
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await join(page, { name: 'Kato', contact: member.email });
    await expect(page.locator('#join [role=alert]').textContent()).resolves.toBe(
      'この電話番号またはメールアドレスは、すでに会員登録されています。下の「すでに会員の方」から連携してください。',
    );
    expect(await page.locator('#link-code:focus').count()).toBe(1);
    await linkOnPage(page, member.memberCode, member.email);
    await page.locator('#card').waitFor();
    expect(await h.linkedUserOf(member.id)).toBe(user);
    await page.close();
  });

  it('is in English for a LINE set to English, and in the language the lang query asks for', async () => {
    const page = await h.openPage(h.newLineUser(), { language: 'en-US' });
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

    const asked = await h.openPage(h.newLineUser(), { language: 'ja', query: '?lang=en' });
    await asked.getByRole('heading', { name: 'Join' }).waitFor();
    await asked.close();
  });

  it('lets the member change their birthday and marketing consent', async () => {
    const user = h.newLineUser();
    const page = await h.openPage(user);
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
      await h.system.graphql<{ memberByCode: { birthday: string | null; marketingConsent: { granted: boolean; source: string } } }>(
        `query($code: String!) { memberByCode(code: $code) { birthday marketingConsent { granted source } } }`,
        { code },
        h.system.staffHeaders(),
      ),
    );
    expect(saved.memberByCode).toEqual({ birthday: '1990-04-15', marketingConsent: { granted: false, source: 'LINE' } });

    const reopened = await h.openPage(user);
    await reopened.locator('#settings').waitFor();
    expect(await reopened.locator('#birthday').inputValue()).toBe('1990-04-15');
    expect(await reopened.locator('#consent').isChecked()).toBe(false);
    await reopened.close();
  });

  describe('while points is down', () => {
    let member: { id: string; memberCode: string; phone: string };
    let user: string;

    beforeAll(async () => {
      member = await h.registerMember('outage');
      user = h.newLineUser();
      const page = await h.openPage(user);
      await linkOnPage(page, member.memberCode, member.phone);
      await page.locator('#card').waitFor();
      await page.close();
      await h.system.stop('points');
    });
    afterAll(() => h.system.restart('points'));

    it('still shows the card the register scans, and says the points cannot be shown', async () => {
      const page = await h.openPage(user);
      await page.locator('#card').waitFor();
      expect(await decode(page, '#barcode', BarcodeFormat.EAN_13)).toBe(member.memberCode);
      expect(await text(page, '#points [role=alert]')).toBe('ポイント情報を表示できません。しばらくしてから開き直してください。');
      expect(await page.locator('#balance, #history, #coupons').count()).toBe(0);
      await page.close();
    });
  });
});
