import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const run = promisify(execFile);

/** Where jest's global setup leaves the browser it found, for the test files (other processes) to launch. */
export const BROWSER_ENV = 'OMO_TEST_BROWSER';

/**
 * Our own flags for every candidate. Not @sparticuz/chromium's `args`: those are tuned for AWS Lambda and turn web
 * security off (--disable-web-security, --allow-running-insecure-content), which would let a page under test do
 * what a customer's browser refuses. --no-sandbox because CI runs as root, where Chromium's sandbox will not start.
 */
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LAUNCH_TIMEOUT_MS = 30_000;
const SYSTEM_BROWSERS = ['/usr/bin/chromium', 'google-chrome'];

export interface FoundBrowser {
  executablePath: string;
  /** What it is, for log lines: CHROME_PATH, the npm package and its version, or the system path. */
  source: string;
}

/** One message naming every browser tried and why it did not start, and what to do about it. */
export class BrowserUnavailableError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      [
        'No browser for the browser tests (test/e2e/line-link.e2e.test.ts) could start:',
        ...attempts.map((a) => `  - ${a}`),
        'The npm build comes with `npm install` (@sparticuz/chromium). To use another browser, set CHROME_PATH to a',
        'Chrome or Chromium executable (Debian: apt-get install chromium, then CHROME_PATH=/usr/bin/chromium).',
      ].join('\n'),
    );
    this.name = 'BrowserUnavailableError';
  }
}

/**
 * The first browser that starts, in this order: CHROME_PATH (when set it is the only candidate: a browser asked for
 * by name is not silently swapped for another), the npm build of @sparticuz/chromium, Debian's chromium,
 * google-chrome on PATH. Each is started once to prove it runs, since the npm build can lack a shared library the
 * machine does not have.
 */
export async function findBrowser(log: (line: string) => void = () => undefined): Promise<FoundBrowser> {
  const attempts: string[] = [];
  const candidates: { name: string; find: () => Promise<FoundBrowser> }[] = process.env.CHROME_PATH
    ? [{ name: 'CHROME_PATH', find: async () => ({ executablePath: process.env.CHROME_PATH!, source: 'CHROME_PATH' }) }]
    : [{ name: '@sparticuz/chromium', find: () => unpackNpmChromium(log) }, ...SYSTEM_BROWSERS.map((name) => ({ name, find: async () => systemBrowser(name) }))];
  for (const { name, find } of candidates) {
    let found: FoundBrowser | undefined;
    try {
      found = await find();
      const browser = await chromium.launch({ executablePath: found.executablePath, args: LAUNCH_ARGS, timeout: LAUNCH_TIMEOUT_MS });
      await browser.close();
      return found;
    } catch (error) {
      attempts.push(`${found ? `${found.source} (${found.executablePath})` : name}: ${firstLine(error)}`);
    }
  }
  throw new BrowserUnavailableError(attempts);
}

/** What a test's pages look like: a phone's viewport and pixel density, say. */
export interface BrowserOptions {
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
  /** navigator.language and Accept-Language, e.g. 'en-GB' for a page that follows the browser's language. */
  locale?: string;
  /** The browser's time zone, e.g. 'America/New_York' for a page that must not depend on it. */
  timezoneId?: string;
}

/** A persistent browser context on the browser jest's global setup found (or, outside jest, on the first that starts). */
export async function launchBrowser(userDataDir: string, options: BrowserOptions = {}): Promise<BrowserContext> {
  const passed = process.env[BROWSER_ENV];
  const { executablePath } = passed ? (JSON.parse(passed) as FoundBrowser) : await findBrowser();
  return chromium.launchPersistentContext(userDataDir, { executablePath, args: LAUNCH_ARGS, timeout: LAUNCH_TIMEOUT_MS, ...options });
}

function systemBrowser(name: string): FoundBrowser {
  const executablePath = path.isAbsolute(name)
    ? name
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, name))
        .find((file) => existsSync(file));
  if (!executablePath || !existsSync(executablePath)) throw new Error('not installed');
  return { executablePath, source: name };
}

/**
 * The npm build, unpacked once per machine under ~/.cache (outside the checkout, so a fresh clone reuses it).
 * @sparticuz/chromium is ESM-only, which jest's CommonJS transform cannot load, so a child node process unpacks it.
 * The package unpacks into os.tmpdir() and takes any file already there as finished, so a second process could
 * launch a half-written binary: the child gets a fresh directory of its own as TMPDIR, and that directory is renamed
 * into place, which is atomic; the loser of two concurrent unpacks drops its copy and uses the winner's.
 */
async function unpackNpmChromium(log: (line: string) => void): Promise<FoundBrowser> {
  const entry = require.resolve('@sparticuz/chromium');
  const { version } = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  const source = `@sparticuz/chromium ${version}`;
  const cacheRoot = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'omo-loyalty');
  const dir = path.join(cacheRoot, `chromium-${version}`);
  const executablePath = path.join(dir, 'chromium');
  if (existsSync(executablePath)) return { executablePath, source };

  log(`unpacking ${source} into ${dir} (first run only, a few seconds)...`);
  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(path.join(cacheRoot, `chromium-${version}-unpacking-`));
  try {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', `import c from ${JSON.stringify(pathToFileURL(entry).href)}; process.stdout.write(await c.executablePath())`],
      { env: { ...process.env, TMPDIR: staging } },
    );
    if (stdout !== path.join(staging, 'chromium')) throw new Error(`${source} unpacked to ${stdout}, not into ${staging}`);
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { executablePath, source };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // playwright's launch errors open with a generic line; the reason (e.g. a missing libnss3.so) follows
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error while loading|cannot open|ENOENT|not installed|No such file/i.test(l)) ?? lines[0] ?? 'failed';
}
