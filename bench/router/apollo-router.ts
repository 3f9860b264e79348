import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@omo/lib/core/config';
import { SUPERGRAPH_PATH } from '@omo/gateway/src/supergraph';
import { freePort } from '@omo/tools/dev-db/ferretdb';
import { spawnService, type ServiceProcess } from '../lib/services';
import type { BenchSettings, BenchSystem } from '../lib/system';

const run = promisify(execFile);

export const ROUTER_VERSION = '2.17.0';
/** Beside the FerretDB build (tools/dev-db/ferretdb.ts), outside the checkout, so every clone on the machine shares it. */
const CACHE_DIR = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'omo-loyalty');
const ROUTER_ROOT = path.join(CACHE_DIR, `apollo-router-${ROUTER_VERSION}`);
/** cargo installs here, and the whole root is renamed to ROUTER_ROOT once it has a complete binary. */
const PARTIAL_ROOT = `${ROUTER_ROOT}.partial`;
/** Holds the building process's pid: a build takes 25 minutes or more on 2 cores, and two at once would take twice that. */
const BUILD_LOCK = `${ROUTER_ROOT}.lock`;
export const ROUTER_BINARY = path.join(ROUTER_ROOT, 'bin', 'router');
const ROUTER_CONFIG = path.join(REPO_ROOT, 'bench', 'router', 'router.yaml');
const LOCK_POLL_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A cargo started by hand into the partial root holds no lock: its command line names the root. */
function buildingElsewhere(): boolean {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(PARTIAL_ROOT);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    });
}

/** Takes the build lock; false while a live process holds it. A lock whose process is gone is taken over. */
function takeBuildLock(): boolean {
  if (buildingElsewhere()) return false;
  try {
    const fd = openSync(BUILD_LOCK, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(BUILD_LOCK, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
    writeFileSync(BUILD_LOCK, String(process.pid));
    return true;
  }
}

async function hasProgram(name: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${name}`]).then(
    () => true,
    () => false,
  );
}

/**
 * The router binary: cached, else built from crates.io with cargo (its build needs Debian's protobuf-compiler for
 * `protoc`), once per machine. Another process building it is waited for rather than joined.
 */
export async function ensureRouterBinary(log: (line: string) => void): Promise<string> {
  await mkdir(CACHE_DIR, { recursive: true });
  for (;;) {
    if (existsSync(ROUTER_BINARY)) return ROUTER_BINARY;
    if (takeBuildLock()) break;
    log(`Apollo Router ${ROUTER_VERSION} is being built by another process (into ${PARTIAL_ROOT}); waiting`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    if (existsSync(ROUTER_BINARY)) return ROUTER_BINARY;
    if (!(await hasProgram('protoc'))) throw new Error('building Apollo Router needs protoc, which is missing: apt-get install -y protobuf-compiler');
    if (!(await hasProgram('cargo'))) throw new Error('building Apollo Router needs cargo (Rust), which is missing: see https://rustup.rs');
    log(`building Apollo Router ${ROUTER_VERSION} with cargo (first run only: 25 minutes or more on 2 cores) into ${PARTIAL_ROOT}`);
    await new Promise<void>((resolve, reject) => {
      const cargo = spawn('cargo', ['install', 'apollo-router', '--version', ROUTER_VERSION, '--locked', '--root', PARTIAL_ROOT], { stdio: ['ignore', 'inherit', 'inherit'] });
      cargo.once('error', reject);
      cargo.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cargo install apollo-router exited with ${code}`))));
    });
    // rename is atomic: the cached root either has a complete binary or is not there
    await rename(PARTIAL_ROOT, ROUTER_ROOT);
    log(`Apollo Router built: ${ROUTER_BINARY}`);
    return ROUTER_BINARY;
  } finally {
    await rm(BUILD_LOCK, { force: true });
  }
}

/**
 * Apollo Router over the system's subgraphs, serving the committed supergraph with bench/router/router.yaml; its
 * process is the binary itself, so its CPU is counted like the gateways'.
 */
export async function startApolloRouter(settings: BenchSettings, system: BenchSystem, log: (line: string) => void): Promise<ServiceProcess> {
  const binary = await ensureRouterBinary(log);
  const port = await freePort();
  return spawnService({
    name: 'apollo-router',
    executable: binary,
    args: ['--config', ROUTER_CONFIG, '--supergraph', SUPERGRAPH_PATH, '--log', 'warn'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ROUTER_LISTEN: `127.0.0.1:${port}`,
      GATEWAY_SECRET: settings.gatewaySecret,
      // no anonymous usage reports to Apollo; with no APOLLO_KEY there is no GraphOS reporting either
      APOLLO_TELEMETRY_DISABLED: 'true',
      ...system.subgraphUrls,
    },
    baseUrl: `http://127.0.0.1:${port}`,
    healthPath: '/health',
    countsCommands: false,
  });
}
