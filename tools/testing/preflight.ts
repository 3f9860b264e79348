import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { mongodCanBeObtained } from '@omo/tools/dev-db/db-provider';
import { FERRETDB_BINARY, FERRETDB_VERSION } from '@omo/tools/dev-db/ferretdb';
import { BrowserUnavailableError, findBrowser, type FoundBrowser } from '@omo/tools/testing/browser';

const run = promisify(execFile);

/**
 * FerretDB 1.24's go.mod asks for Go 1.24; Go 1.21 and later fetch that toolchain from the module proxy by
 * themselves unless GOTOOLCHAIN=local forbids it.
 */
const GO_MINOR_WITH_TOOLCHAINS = 21;
const GO_MINOR_FOR_FERRETDB = 24;

const INSTALL_GO = [
  `  Install Go 1.${GO_MINOR_FOR_FERRETDB} or newer: https://go.dev/doc/install (unpack the linux tarball into /usr/local and put`,
  '  /usr/local/go/bin on PATH), or on Debian 13: apt-get install golang-go (Debian 12\'s golang-go is Go 1.19, too old).',
  '  Or set MONGODB_URI to a MongoDB server the tests may create databases on.',
].join('\n');

/** Stops the run before any test starts: jest prints the message of a global setup's error, and nothing else matters. */
export class PreflightError extends Error {
  constructor(problems: string[]) {
    super(['npm test cannot run on this machine yet:', ...problems].join('\n\n'));
    this.name = 'PreflightError';
    // the stack of a setup script says nothing to someone who has to install a tool
    this.stack = this.message;
  }
}

/**
 * What npm cannot bring, checked once before the database starts: Go, when the database will be FerretDB and it is
 * not built yet (no MONGODB_URI, no mongod to be had, no cached binary); and a browser that starts. Every problem
 * found goes into one error, so a fresh machine learns everything it lacks from one run.
 */
export async function preflight(log: (line: string) => void): Promise<{ browser: FoundBrowser }> {
  const problems: string[] = [];
  const go = await goProblem();
  if (go) problems.push(go);
  let browser: FoundBrowser | undefined;
  try {
    browser = await findBrowser(log);
  } catch (error) {
    if (!(error instanceof BrowserUnavailableError)) throw error;
    problems.push(error.message);
  }
  if (problems.length || !browser) throw new PreflightError(problems);
  return { browser };
}

async function goProblem(): Promise<string | undefined> {
  if (process.env.MONGODB_URI || existsSync(FERRETDB_BINARY)) return undefined;
  if (process.env.OMO_SKIP_MEMORY_SERVER !== '1' && (await mongodCanBeObtained())) return undefined;
  const why =
    'There is no database for the tests: MONGODB_URI is not set and no mongod can be had (MONGOMS_SYSTEM_BINARY, ' +
    `~/.cache/mongodb-binaries, or a reachable download site), so the tests run FerretDB ${FERRETDB_VERSION}, which is ` +
    'built from the Go module proxy on first use (about a minute).';
  const version = await goVersion();
  if (version === undefined) return `${why}\n  Go is missing: \`go\` is not on PATH.\n${INSTALL_GO}`;
  const needed = process.env.GOTOOLCHAIN === 'local' ? GO_MINOR_FOR_FERRETDB : GO_MINOR_WITH_TOOLCHAINS;
  if (version.major === 1 && version.minor < needed) {
    return `${why}\n  Go is too old: \`go version\` says go1.${version.minor}${process.env.GOTOOLCHAIN === 'local' ? ' and GOTOOLCHAIN=local' : ''}.\n${INSTALL_GO}`;
  }
  return undefined;
}

async function goVersion(): Promise<{ major: number; minor: number } | undefined> {
  try {
    const { stdout } = await run('go', ['version']);
    const match = /go(\d+)\.(\d+)/.exec(stdout);
    return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The message for a FerretDB build that failed because `go` is not there after all (a mongod download failed). */
export function goMissingDuringBuild(error: unknown): PreflightError | undefined {
  const e = error as NodeJS.ErrnoException & { path?: string };
  if (e?.code !== 'ENOENT' || e.path !== 'go') return undefined;
  return new PreflightError([`FerretDB ${FERRETDB_VERSION} had to be built (no mongod could be started), and Go is missing: \`go\` is not on PATH.\n${INSTALL_GO}`]);
}
