import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile, chmod } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';
/** Outside the checkout, so a fresh clone on the same machine (CI) reuses the build. */
const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'omo-loyalty', `ferretdb-${FERRETDB_VERSION}`);
export const FERRETDB_BINARY = path.join(CACHE_DIR, 'ferretdb');

/**
 * Builds FerretDB from the Go module proxy once and caches the binary under .cache/.
 * FerretDB panics at start unless build/version/version.txt is embedded, and (since Go 1.26 names the tool's own
 * module as the main module) `go install` of the tool never embeds it; so we build from a writable copy of the
 * module with version.txt written in, which is what FerretDB's own release build does.
 */
export async function ensureFerretDbBinary(log: (line: string) => void = () => undefined): Promise<string> {
  if (existsSync(FERRETDB_BINARY)) return FERRETDB_BINARY;
  log(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first run only, about a minute)...`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'omo-ferretdb-build-'));
  try {
    const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
    const { stdout } = await run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: workDir,
      env,
      maxBuffer: 1 << 20,
    });
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    const srcDir = path.join(workDir, 'src');
    await cp(moduleDir, srcDir, { recursive: true });
    await chmod(path.join(srcDir, 'build', 'version'), 0o755);
    await writeFile(path.join(srcDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const output = path.join(workDir, 'ferretdb');
    await run('go', ['build', '-o', output, './cmd/ferretdb'], { cwd: srcDir, env, maxBuffer: 16 << 20 });
    await mkdir(CACHE_DIR, { recursive: true });
    // rename is atomic: a concurrent build can only replace a complete binary with another complete one
    await rename(output, FERRETDB_BINARY);
    log(`FerretDB built: ${FERRETDB_BINARY}`);
    return FERRETDB_BINARY;
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningFerretDb {
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts FerretDB (SQLite backend) on loopback and resolves once it logs "Listening on TCP". */
export async function startFerretDb(options: { dataDir: string; port?: number }): Promise<RunningFerretDb> {
  const binary = await ensureFerretDbBinary((line) => process.stderr.write(`${line}\n`));
  await mkdir(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${options.dataDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      '--state-dir=-',
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`FerretDB did not start within 30 s:\n${stderr}`)), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`FerretDB exited with code ${code}:\n${stderr}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Listening on TCP')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve();
      }
    });
  });
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
