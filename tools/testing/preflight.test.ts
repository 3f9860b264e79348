import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BROWSER_ENV, type FoundBrowser } from '@omo/tools/testing/browser';

const REPO_ROOT = path.resolve(__dirname, '../..');
const JEST = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

let dir: string;
/** A PATH holding only node (and whatever a test adds): no go, whatever this machine has. */
let bin: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'omo-preflight-'));
  bin = path.join(dir, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, path.join(bin, 'node'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** `npm test` on one quick test file, as a machine without Go would run it: an empty cache, no mongod to download. */
function npmTest(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [JEST, 'lib/core/config.test.ts', '--maxWorkers=1'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, PATH: bin, MONGODB_URI: '', OMO_SKIP_MEMORY_SERVER: '1', XDG_CACHE_HOME: path.join(dir, 'cache'), ...env },
        maxBuffer: 1 << 20,
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
    );
  });
}

/** The browser this run's global setup found, which works. */
function workingBrowser(): string {
  return (JSON.parse(process.env[BROWSER_ENV]!) as FoundBrowser).executablePath;
}

const INSTALL_GO = [
  '  Install Go 1.24 or newer: https://go.dev/doc/install (unpack the linux tarball into /usr/local and put',
  "  /usr/local/go/bin on PATH), or on Debian 13: apt-get install golang-go (Debian 12's golang-go is Go 1.19, too old).",
  '  Or set MONGODB_URI to a MongoDB server the tests may create databases on.',
].join('\n');
const NO_DATABASE =
  'There is no database for the tests: MONGODB_URI is not set and no mongod can be had (MONGOMS_SYSTEM_BINARY, ' +
  '~/.cache/mongodb-binaries, or a reachable download site), so the tests run FerretDB v1.24.2, which is built from ' +
  'the Go module proxy on first use (about a minute).';

describe('npm test preflight', () => {
  it('stops the run with one message naming everything missing and how to install it, before any test runs', async () => {
    const { code, stderr } = await npmTest({ CHROME_PATH: '/nonexistent/chrome' });

    expect(code).toBe(1);
    expect(stderr).toContain(
      [
        'npm test cannot run on this machine yet:',
        '',
        NO_DATABASE,
        '  Go is missing: `go` is not on PATH.',
        INSTALL_GO,
        '',
        'No browser for the browser tests (test/e2e/line-link.e2e.test.ts) could start:',
        "  - CHROME_PATH (/nonexistent/chrome): browserType.launch: Failed to launch chromium because executable doesn't exist at /nonexistent/chrome",
        'The npm build comes with `npm install` (@sparticuz/chromium). To use another browser, set CHROME_PATH to a',
        'Chrome or Chromium executable (Debian: apt-get install chromium, then CHROME_PATH=/usr/bin/chromium).',
      ].join('\n'),
    );
    expect(stderr).not.toContain('config.test.ts');
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('names a Go too old to build FerretDB', async () => {
    await writeFile(path.join(bin, 'go'), '#!/bin/sh\necho "go version go1.19.8 linux/amd64"\n');
    await chmod(path.join(bin, 'go'), 0o755);

    const { code, stderr } = await npmTest({ CHROME_PATH: workingBrowser() });

    expect(code).toBe(1);
    expect(stderr).toContain(['npm test cannot run on this machine yet:', '', NO_DATABASE, '  Go is too old: `go version` says go1.19.', INSTALL_GO].join('\n'));
    expect(stderr).not.toContain('No browser');
  }, 120_000);

  it('asks for no Go when MONGODB_URI names the database', async () => {
    const { code, stderr } = await npmTest({ MONGODB_URI: process.env.OMO_TEST_MONGODB_URI!, CHROME_PATH: workingBrowser() });

    expect(stderr).not.toContain('cannot run on this machine');
    expect(stderr).toContain('PASS lib/core/config.test.ts');
    expect(code).toBe(0);
  }, 120_000);
});
