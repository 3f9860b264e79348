import { BarcodeFormat } from '@zxing/library';
import { ok } from '../helpers/system';
import { decode, SIGNUP_BONUS, startMemberPageHarness, text, type MemberPageHarness } from '../helpers/liff-member-page';

/**
 * Claiming a receipt on the LIFF member page, in Chromium: the register's receipt QR (Purchase.receiptClaim, read
 * off a screenshot) opens the page with the code filled in, the member sends it, and the page shows the points.
 */
let h: MemberPageHarness;
let storeId: string;
let pos: Record<string, string>;

beforeAll(async () => {
  h = await startMemberPageHarness();
  const store = await h.system.graphql<{ createStore: { id: string } }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'S001', name: '新宿店', kind: 'PHYSICAL' } }, h.system.adminHeaders());
  storeId = ok(store).createStore.id;
  pos = await h.system.posHeaders([storeId]);
}, 60_000);
afterAll(() => h?.close());

async function guestSale(key: string, yen: number) {
  const input = { idempotencyKey: key, storeId, lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: yen, quantity: 1 }], total: yen };
  const recorded = await h.system.graphql<{ recordPurchase: { receiptClaim: { code: string; claimUrl: string; barcodeSvg: string } } }>(
    'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { receiptClaim { code claimUrl barcodeSvg } } }',
    { input },
    pos,
  );
  return ok(recorded).recordPurchase.receiptClaim;
}

describe('claiming a receipt on the member page', () => {
  it('opens from the receipt’s QR code with the code filled in, and shows the points it earned', async () => {
    const receipt = await guestSale('page-guest-1', 3_000);
    expect(receipt.claimUrl).toBe(`https://liff.line.me/${h.liff.liffId}/?claim=${receipt.code.replace(/-/g, '')}`);
    const member = await h.registerMember('receipt');
    const user = h.newLineUser();
    await h.system.db.collection<{ _id: string }>('line_links').insertOne({ _id: user, memberId: member.id, linkedAt: new Date(), friendStatus: 'FRIEND' } as never);

    const page = await h.openPage(user);
    await page.setContent(`<div id="receipt-qr" style="width:300px">${receipt.barcodeSvg}</div>`);
    const scanned = await decode(page, '#receipt-qr', BarcodeFormat.QR_CODE);
    expect(scanned).toBe(receipt.claimUrl);
    // LIFF opens the endpoint with the URL's path and query (its liff.state restored by liff.init)
    await page.goto(`${h.system.subgraphs.line.url}/line/member${new URL(scanned).search}`);
    await page.locator('#card').waitFor();
    expect(await page.locator('#claim-code').inputValue()).toBe(receipt.code.replace(/-/g, ''));
    await page.getByRole('button', { name: 'ポイントを受け取る' }).click();
    await page.locator('#claim-status[role=status]').waitFor();
    expect(await text(page, '#claim-status')).toBe('2026年12月1日(火)のお買い物（3,000円）のポイント 30 pt を付与しました。');
    expect(await text(page, '#balance')).toBe(`${SIGNUP_BONUS + 30} pt`);
    expect(await page.locator('#claim-code').inputValue()).toBe('');
    expect((await h.memberByCode(member.memberCode)).points.balance).toBe(SIGNUP_BONUS + 30);

    await page.getByLabel('レシートのコード').fill(receipt.code);
    await page.getByRole('button', { name: 'ポイントを受け取る' }).click();
    await page.locator('#claim-status[role=alert]').waitFor();
    expect(await text(page, '#claim-status')).toBe('このレシートのポイントは、すでにお客さまに付与されています。');
    expect((await h.memberByCode(member.memberCode)).points.balance).toBe(SIGNUP_BONUS + 30);
    await page.close();
  });
});
