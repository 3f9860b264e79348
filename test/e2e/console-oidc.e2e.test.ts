import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '@omo/tools/testing/browser';
import { buildConsole } from '../../scripts/console-build';
import { startFakeStaffIdp, type FakeStaffIdp } from '../helpers/fake-staff-idp';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The console's sign-in with the retailer's staff identity provider (OpenID Connect, authorization code with PKCE),
 * as production has it: no development sign-in, the provider a fake on loopback shaped as providers document it, the
 * gateway trusting only that provider's keys for staff tokens.
 */
let idp: FakeStaffIdp;
let system: TestSystem;
let browser: BrowserContext;
let tempDir: string;
let consoleUrl: string;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'omo-console-oidc-'));
  const dir = path.join(tempDir, 'dist');
  const [provider] = await Promise.all([startFakeStaffIdp({ clientId: 'omo-console', audience: 'omo-loyalty-staff' }), buildConsole(dir)]);
  idp = provider;
  system = await startTestSystem(
    { STAFF_JWT_SECRET: undefined, STAFF_JWKS_URL: idp.jwksUrl, STAFF_JWT_ISSUER: idp.issuer, STAFF_OIDC_ISSUER: idp.issuer, STAFF_OIDC_CLIENT_ID: 'omo-console', STAFF_OIDC_SCOPE: 'openid profile staff' },
    undefined,
    { runBackground: false, console: { dir } },
  );
  consoleUrl = system.gatewayUrl.replace(/\/graphql$/, '/console/');
  idp.redirectUris.add(consoleUrl);
  browser = await launchBrowser(path.join(tempDir, 'chromium'), { viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await system?.close();
  await idp?.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

/** A page that may reach the gateway and the identity provider only, its script errors collected. */
async function open(): Promise<{ page: Page; problems: string[] }> {
  const allowed = new Set([new URL(system.gatewayUrl).origin, new URL(idp.issuer).origin]);
  const page = await browser.newPage();
  const problems: string[] = [];
  await page.route('**/*', (route) => (allowed.has(new URL(route.request().url()).origin) ? route.continue() : route.abort('internetdisconnected')));
  page.on('pageerror', (error) => void problems.push(error.message));
  await page.goto(consoleUrl);
  return { page, problems };
}

describe('signing in to the console with the staff identity provider', () => {
  it('goes to the provider with a PKCE challenge and comes back signed in with the role the provider gave', async () => {
    idp.user = { sub: 'sato.admin', role: 'ADMIN' };
    const { page, problems } = await open();
    const signInButton = page.getByRole('button', { name: 'Sign in with your staff account' });
    await signInButton.waitFor();
    // the sign-in options have arrived: no development sign-in is among them (this gateway was given none)
    await expect(page.getByRole('button', { name: 'Sign in as ADMIN' }).count()).resolves.toBe(0);
    await signInButton.click();
    await page.getByRole('navigation').getByText('ADMIN', { exact: true }).waitFor();
    await expect(page.getByRole('navigation').innerText()).resolves.toContain('sato.admin');
    expect(page.url()).toBe(consoleUrl);

    const asked = idp.authorizations.at(-1)!;
    expect(Object.fromEntries(asked)).toMatchObject({ response_type: 'code', client_id: 'omo-console', redirect_uri: consoleUrl, scope: 'openid profile staff', code_challenge_method: 'S256' });
    const redeemed = idp.tokenRequests.at(-1)!;
    // the gateway redeemed the code with the verifier whose S256 the browser sent (the fake checks they match)
    expect(redeemed.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(redeemed.get('client_id')).toBe('omo-console');

    // the token works as ADMIN's: the POS keys page loads its (empty) list
    await page.getByRole('link', { name: 'POS keys' }).click();
    await page.getByRole('heading', { name: 'New POS key' }).waitFor();
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('signs a STAFF member in as STAFF, and refuses an account the provider gave no role', async () => {
    idp.user = { sub: 'suzuki.staff', role: 'STAFF' };
    const first = await open();
    await first.page.getByRole('button', { name: 'Sign in with your staff account' }).click();
    await first.page.getByRole('navigation').getByText('STAFF', { exact: true }).waitFor();
    await expect(first.page.getByRole('link', { name: 'POS keys' }).count()).resolves.toBe(0);
    await first.page.close();

    idp.user = { sub: 'tanaka.part-timer' };
    const { page } = await open();
    await page.getByRole('button', { name: 'Sign in with your staff account' }).click();
    await page.getByRole('alert').getByText('not a staff token for this program').waitFor();
    await expect(page.getByRole('navigation').count()).resolves.toBe(0);
    await page.close();
  });

  it('redeems no code this tab did not ask for, and no code twice', async () => {
    const { page } = await open();
    // this tab starts a sign-in, and is sent to the provider (held there); a forged answer then arrives in it
    const held = new URL('/authorize', idp.issuer).toString();
    await page.route(`${held}**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>signing in…</p>' }));
    await page.getByRole('button', { name: 'Sign in with your staff account' }).click();
    await page.waitForURL(`${held}**`);
    const before = idp.tokenRequests.length;
    await page.goto(`${consoleUrl}?code=forged&state=not-this-tabs`);
    await page.getByRole('alert').getByText('does not match this tab’s sign-in').waitFor();
    expect(idp.tokenRequests.length).toBe(before);
    // an error answer with another state is not shown either: the provider's words never reach the page unchecked
    await page.goto(`${consoleUrl}?error=access_denied&error_description=${encodeURIComponent('Call 0120-000-000 now')}&state=not-this-tabs`);
    await page.getByRole('alert').getByText('does not match this tab’s sign-in').waitFor();
    await expect(page.getByText('Call 0120').count()).resolves.toBe(0);
    await page.close();

    // a code already redeemed, sent again with its verifier: the provider refuses it and so does the gateway
    idp.user = { sub: 'sato.admin', role: 'ADMIN' };
    const second = await open();
    const redeemed = second.page.waitForRequest((r) => r.url().endsWith('/console/session/oidc'));
    await second.page.getByRole('button', { name: 'Sign in with your staff account' }).click();
    const body = (await redeemed).postData()!;
    await second.page.getByRole('navigation').waitFor();
    const again = await fetch(`${consoleUrl}session/oidc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(again.status).toBe(400);
    await expect(again.json()).resolves.toEqual({ error: 'The identity provider refused the sign-in (invalid_grant): start again' });
    await second.page.close();
  });

  it('redeems the code as a confidential client with HTTP Basic, its secret never in the form', async () => {
    const confidential = await startFakeStaffIdp({ clientId: 'omo-console-web', clientSecret: 'a secret: with / odd + characters', audience: 'omo-loyalty-staff' });
    try {
      confidential.redirectUris.add(consoleUrl);
      const { StaffOidc } = await import('@omo/gateway/src/console-oidc');
      const verified: string[] = [];
      const oidc = new StaffOidc({ issuer: confidential.issuer, clientId: 'omo-console-web', clientSecret: 'a secret: with / odd + characters', scope: 'openid' }, async (token) => {
        verified.push(token);
        return { kind: 'staff', staffId: 'sato.admin', role: 'ADMIN' };
      });
      const start = await oidc.start();
      const verifier = 'v'.repeat(43);
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const authorize = new URL(start.authorizationEndpoint);
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: start.clientId, redirect_uri: consoleUrl, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) authorize.searchParams.set(k, v);
      const redirect = await fetch(authorize, { redirect: 'manual' });
      const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;

      const { token } = await oidc.exchange({ code, codeVerifier: verifier, redirectUri: consoleUrl });
      expect(verified).toEqual([token]);
      const sent = confidential.tokenRequests.at(-1)!;
      expect(sent.has('client_id')).toBe(false);
      expect(sent.has('client_secret')).toBe(false);
      expect(confidential.tokenAuthorizations.at(-1)).toBe(`Basic ${Buffer.from(`omo-console-web:${encodeURIComponent('a secret: with / odd + characters')}`).toString('base64')}`);

      // a wrong secret is our set-up's fault: the person is told so, in words that name no secret
      const wrong = new StaffOidc({ issuer: confidential.issuer, clientId: 'omo-console-web', clientSecret: 'not it', scope: 'openid' }, async () => ({ kind: 'staff', staffId: 'x', role: 'STAFF' }));
      await expect(wrong.exchange({ code: 'any', codeVerifier: verifier, redirectUri: consoleUrl })).rejects.toMatchObject({ status: 502, message: 'The console is not set up correctly at the staff identity provider' });
    } finally {
      await confidential.close();
    }
  });

  it('offers the other sign-ins, saying the provider cannot be reached, when its discovery fails', async () => {
    const { StaffOidc } = await import('@omo/gateway/src/console-oidc');
    const { consoleRouter } = await import('@omo/gateway/src/console');
    const express = (await import('express')).default;
    const { listen } = await import('@omo/lib/server/http');
    // a provider whose discovery names another issuer (a misconfigured STAFF_OIDC_ISSUER)
    const app = express();
    app.use('/console', consoleRouter({ dir: path.join(tempDir, 'dist'), oidc: new StaffOidc({ issuer: `${idp.issuer}/other`, clientId: 'omo-console', scope: 'openid' }, async () => ({ kind: 'staff', staffId: 'x', role: 'STAFF' })) }, true));
    const running = await listen(app, 0);
    try {
      const offered = (await (await fetch(`${running.url}/console/session/config`)).json());
      expect(offered).toEqual({ devSignIn: false, oidc: { error: 'The staff identity provider cannot be reached now' } });
      const malformed = await fetch(`${running.url}/console/session/oidc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
      expect(malformed.status).toBe(400);
      await expect(malformed.json()).resolves.toEqual({ error: 'The request body is not valid JSON (or too large)' });
    } finally {
      await running.close();
    }
  });

  it('refuses a malformed sign-in request without asking the provider', async () => {
    const before = idp.tokenRequests.length;
    const refused = await fetch(`${consoleUrl}session/oidc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'x', codeVerifier: 'short', redirectUri: consoleUrl }) });
    expect(refused.status).toBe(400);
    expect(idp.tokenRequests.length).toBe(before);
  });
});
