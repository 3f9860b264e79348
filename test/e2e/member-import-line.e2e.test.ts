import { linkOnPage, startMemberPageHarness, text, type MemberPageHarness } from '../helpers/liff-member-page';
import { ok } from '../helpers/system';

/**
 * An imported member links LINE with the old card they have in their wallet: the old code resolves to its member
 * on the LIFF member page's link form (and the link page's) as it does at the register.
 */
let h: MemberPageHarness;
let imported: { memberId: string; memberCode: string };

beforeAll(async () => {
  h = await startMemberPageHarness();
  const rows = [{ line: 2, legacyCode: 'OLD-1001', displayName: '山田 花子', phone: '090-3333-4444', balances: [{ points: 300, expiresOn: '2027-06-30' }] }];
  const data = ok(
    await h.system.graphql<{ importMembers: { rows: { outcome: string; memberId: string; memberCode: string }[] } }>(
      'mutation($input: MemberImportInput!) { importMembers(input: $input) { rows { outcome memberId memberCode } } }',
      { input: { rows, dryRun: false } },
      h.system.adminHeaders(),
    ),
  );
  expect(data.importMembers.rows.map((row) => row.outcome)).toEqual(['CREATED']);
  imported = data.importMembers.rows[0]!;
}, 60_000);
afterAll(() => h?.close());

describe('an imported member on the LINE member page', () => {
  it('links with the old card’s code, written as on the card, and its phone', async () => {
    const user = h.newLineUser();
    const page = await h.openPage(user);
    await linkOnPage(page, 'OLD-1001', '090-3333-4444');
    await page.locator('#balance').waitFor();
    expect(await text(page, '#display-name')).toBe('山田 花子');
    expect(await text(page, '#member-code')).toBe(imported.memberCode.replace(/(.{4})(?=.)/g, '$1 '));
    expect(await text(page, '#balance')).toBe('300 pt');
    expect(await h.linkedUserOf(imported.memberId)).toBe(user);
    await page.close();
  });

  it('is refused with the old code and a phone that is not theirs, as a card of ours would be', async () => {
    const page = await h.openPage(h.newLineUser());
    await linkOnPage(page, 'OLD-1001', '090-9999-0000');
    await expect(page.locator('#link [role=alert]').textContent()).resolves.toBe('会員番号、または電話番号・メールアドレスが一致しません。入力内容をご確認ください。');
    await page.close();
  });
});
