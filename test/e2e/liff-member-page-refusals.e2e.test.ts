import { createRichMenus } from '@omo/line/richmenus/rich-menus';
import { listen } from '@omo/lib/server/http';
import { startMemberPageHarness, type MemberPageHarness } from '../helpers/liff-member-page';

/**
 * What the LIFF member page refuses, end to end: ID tokens that are not LINE's for our channel (nothing shown,
 * nothing written), guessing member codes past the link page's limit, oversized bodies; and the page's security
 * policy and the rich menu button that opens it.
 */
let h: MemberPageHarness;

beforeAll(async () => {
  h = await startMemberPageHarness();
}, 60_000);
afterAll(() => h?.close());

describe('the LIFF member page’s refusals and setup', () => {
  it('stops checking member codes after the link page’s 10 wrong pairs an hour for the LINE user', async () => {
    const member = await h.registerMember('guessed');
    const user = h.newLineUser();
    const idToken = await h.liff.mint(user, { now: h.clock() });
    const tryLink = (contact: string) =>
      fetch(`${h.system.subgraphs.line.url}/line/member/api/link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ memberCode: member.memberCode, contact }),
      });
    for (let attempt = 1; attempt <= 10; attempt += 1) expect((await tryLink(`090-8888-${String(attempt).padStart(4, '0')}`)).status).toBe(400);
    const late = await tryLink(member.phone); // right, but too late
    expect(late.status).toBe(429);
    expect(await late.json()).toEqual({ error: { code: 'RATE_LIMITED', message: '入力の回数が上限に達しました。しばらく時間をおいてからお試しください。' }, locale: 'ja' });
    expect(await h.linkedUserOf(member.id)).toBeNull();
  });

  it('counts joins refused because the contact is a member’s under the same limit, so contacts cannot be tested one by one', async () => {
    const taken = await h.registerMember('probed');
    const other = await h.registerMember('probed-too');
    const idToken = await h.liff.mint(h.newLineUser(), { now: h.clock() });
    const post = (route: string, body: object) =>
      fetch(`${h.system.subgraphs.line.url}/line/member/api/${route}?lang=en`, {
        method: 'POST',
        headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const joinWith = (contact: string) => post('join', { name: 'Prober', contact, termsAccepted: true, marketingConsent: false });
    for (let attempt = 1; attempt <= 9; attempt += 1) expect((await joinWith(taken.email)).status).toBe(409);
    expect((await post('link', { memberCode: taken.memberCode, contact: '090-7777-0001' })).status).toBe(400); // the tenth, shared
    const members = await h.system.db.collection('members').countDocuments();
    const late = await joinWith(other.phone);
    expect(late.status).toBe(429);
    expect(await late.json()).toEqual({ error: { code: 'RATE_LIMITED', message: 'Too many attempts. Please wait a while and try again.' }, locale: 'en' });
    expect((await joinWith('fresh.prober@example.com')).status).toBe(429);
    expect(await h.system.db.collection('members').countDocuments()).toBe(members);
  });

  it('refuses a token that does not verify before reading the body, however big', async () => {
    const idToken = await h.liff.mint(h.newLineUser(), { now: h.clock(), signedBy: 'stranger' });
    const response = await fetch(`${h.system.subgraphs.line.url}/line/member/api/join`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(9000), contact: 'big@example.com', termsAccepted: true, marketingConsent: false }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a forged', { signedBy: 'stranger' }],
    ['an expired', { expiresInSeconds: -60 }],
    ['another channel’s', { audience: '1657999999' }],
  ] as const)('shows nothing and writes nothing for %s ID token', async (_kind, token) => {
    const user = h.newLineUser();
    const counts = async () =>
      Promise.all(['members', 'line_links', 'line_link_attempts', 'member_line_joins'].map((name) => h.system.db.collection(name).countDocuments()));
    const before = await counts();
    const page = await h.openPage(user, { token });
    await expect(page.getByRole('alert').textContent()).resolves.toBe('LINEのログインを確認できませんでした。LINEアプリからこのページを開き直してください。');
    expect(await page.locator('form, #card, svg').count()).toBe(0);

    // and the API refuses the same token for every write, before reading the body
    const idToken = await h.liff.mint(user, { now: h.clock(), ...token });
    for (const [route, body] of [
      ['join', { name: 'X', contact: 'x@example.com', termsAccepted: true, marketingConsent: true }],
      ['link', { memberCode: '2900000000001', contact: 'x@example.com' }],
      ['profile', { marketingConsent: false }],
    ] as const) {
      const response = await fetch(`${h.system.subgraphs.line.url}/line/member/api/${route}`, {
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

  it('is served under a policy that allows no inline script, and refuses bodies over 8 kB without writing', async () => {
    const response = await fetch(`${h.system.subgraphs.line.url}/line/member`);
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'self' ${h.liff.url}; style-src 'self'; img-src 'self'; ` +
        `connect-src 'self' ${h.liff.url} https://api.line.me https://access.line.me https://liffsdk.line-scdn.net; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
    const idToken = await h.liff.mint(h.newLineUser(), { now: h.clock() });
    const before = await h.system.db.collection('members').countDocuments();
    const big = await fetch(`${h.system.subgraphs.line.url}/line/member/api/join?lang=en`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(9000), contact: 'big@example.com', termsAccepted: true, marketingConsent: false }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'What you entered is too long.' }, locale: 'en' });
    expect(await h.system.db.collection('members').countDocuments()).toBe(before);
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
      await createRichMenus({ channelAccessToken: 'test-token', apiBaseUrl: lineApi.url, liffId: h.liff.liffId });
    } finally {
      await lineApi.close();
    }
    const actions = (name: string) => created.find((menu) => menu.name === name)!.areas.map((area) => area.action);
    expect(actions('omo-members')).toEqual([
      { type: 'postback', label: 'ポイント', data: 'action=show_points', displayText: 'ポイント' },
      { type: 'uri', label: '会員証', uri: `https://liff.line.me/${h.liff.liffId}` },
      { type: 'postback', label: '履歴', data: 'action=show_history', displayText: '履歴' },
    ]);
    expect(actions('omo-guests').every((action) => action.type === 'postback')).toBe(true);
  });
});
