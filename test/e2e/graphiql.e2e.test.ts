import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { startGateway } from '@omo/gateway/src/server';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { createLogger } from '@omo/lib/core/logger';
import { launchBrowser } from '@omo/tools/testing/browser';
import { testConfig } from '@omo/tools/testing/config';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The GraphQL IDE at the gateway's endpoint, as a developer opens it in Chromium with nothing reachable but the
 * gateway (every other host refused, as offline or behind a proxy that blocks CDNs): GraphiQL from the project's
 * own packages, its sample query and development headers filled in, the answer shown. Production serves none of it.
 */
let system: TestSystem;
let browser: BrowserContext;
let userDataDir: string;
const staffToken = signUserToken({ sub: 'ide-staff', role: 'STAFF' }, testConfig());

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, ide: { headers: { authorization: `Bearer ${staffToken}` } } });
  ok(await system.graphql('mutation { createStore(input: { code: "IDE1", name: "渋谷店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders()));
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-chromium-'));
  browser = await launchBrowser(userDataDir, { viewport: { width: 1280, height: 800 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await system?.close();
});

describe('GraphiQL at /graphql', () => {
  it('loads from the gateway alone, runs the sample query with the development headers and shows the answer', async () => {
    const gateway = new URL(system.gatewayUrl).origin;
    const elsewhere: string[] = [];
    const page = await browser.newPage();
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === gateway) return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    // what the page's policy refused to load (it makes no request the route above would see) and its script errors
    const refused: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && refused.push(message.text())));
    page.on('pageerror', (error) => void refused.push(error.message));
    const sent: { authorization: string | undefined; body: string | null }[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') sent.push({ authorization: request.headers().authorization, body: request.postData() });
    });

    const response = await page.goto(system.gatewayUrl);
    expect(response?.status()).toBe(200);
    await page.locator('.graphiql-container').waitFor();
    await expect(page.locator('.graphiql-query-editor').innerText()).resolves.toContain('query Stores');
    await expect(page.locator('.graphiql-editor-tool').innerText()).resolves.toContain(`Bearer ${staffToken}`);

    await page.getByRole('button', { name: /Execute query/ }).click();
    await page.locator('.result-window').getByText('渋谷店').waitFor();
    const answer = await page.locator('.result-window').innerText();
    expect(answer).toContain('"code": "IDE1"');
    expect(answer).not.toContain('errors');

    // the query went to this gateway with the STAFF token the page was given; nothing went anywhere else
    expect(sent.some((r) => r.authorization === `Bearer ${staffToken}` && r.body?.includes('query Stores'))).toBe(true);
    expect(elsewhere).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('still answers GraphQL GET requests at /graphql, which ask for JSON rather than a page', async () => {
    const response = await fetch(`${system.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true', ...system.staffHeaders() } });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });
});

describe('in production', () => {
  it('serves no IDE: a browser at /graphql gets no page and the IDE files are not there', async () => {
    // the gateway alone, as start:gateway runs it (a page needs no subgraph)
    const production = await startGateway({
      config: { ...testConfig(), NODE_ENV: 'production' },
      logger: createLogger('silent'),
      port: 0,
      ide: { headers: { authorization: `Bearer ${staffToken}` } },
    });
    try {
      const page = await fetch(`${production.url}/graphql`, { headers: { accept: 'text/html' } });
      const body = await page.text();
      expect(page.headers.get('content-type')).not.toContain('text/html');
      expect(body).not.toContain('GraphiQL');
      expect(body).not.toContain(staffToken);
      expect((await fetch(`${production.url}/graphql/ide/graphiql.js`)).status).not.toBe(200);
    } finally {
      await production.close();
    }
  });
});
