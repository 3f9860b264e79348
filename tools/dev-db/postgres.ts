import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitForReadyLine } from '@omo/lib/server/server-process';

const run = promisify(execFile);

const POSTGRES_LIB = '/usr/lib/postgresql';
/** The role and database FerretDB uses; the cluster trusts loopback, it lives only as long as its process. */
export const POSTGRES_USER = 'ferret';
export const POSTGRES_DATABASE = 'ferretdb';

/** The bin directory of the newest Debian PostgreSQL (`apt-get install postgresql`), or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(POSTGRES_LIB)) return undefined;
  const versions = readdirSync(POSTGRES_LIB)
    .filter((v) => existsSync(path.join(POSTGRES_LIB, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(POSTGRES_LIB, versions[0], 'bin');
}

/** Under root, Debian's `postgres` user (PostgreSQL will not run as root); otherwise the current user. */
async function clusterOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export interface RunningPostgres {
  port: number;
  url: string;
  process: ChildProcess;
  /** Runs SQL with psql and returns its unaligned, tuples-only output. */
  sql(statement: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster in dataDir on a loopback port, for FerretDB's PostgreSQL backend (the bench).
 * Durability is off (fsync, synchronous_commit, full-page writes), like an in-memory mongod: a bench database.
 * `plan_cache_mode = force_custom_plan`: FerretDB sends the field name as a query parameter (`_jsonb -> $1`), and
 * only a plan made for the actual value can use an expression index on `_jsonb -> 'field'`.
 */
export async function startPostgres(options: { dataDir: string; port: number }): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no PostgreSQL under ${POSTGRES_LIB} (apt-get install -y postgresql)`);
  await mkdir(options.dataDir, { recursive: true });
  const owner = await clusterOwner();
  if (owner) await chown(options.dataDir, owner.uid, owner.gid);
  await run(path.join(bin, 'initdb'), ['-D', options.dataDir, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...owner,
    maxBuffer: 4 << 20,
  });
  const child = spawn(path.join(bin, 'postgres'), [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    '-k',
    options.dataDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'plan_cache_mode=force_custom_plan',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=1GB',
  ], { ...owner, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForReadyLine(child, 'PostgreSQL', 'ready to accept connections');
  const sql = async (statement: string, database = POSTGRES_DATABASE): Promise<string> => {
    const { stdout } = await run(
      path.join(bin, 'psql'),
      ['-h', '127.0.0.1', '-p', String(options.port), '-U', POSTGRES_USER, '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement],
      { maxBuffer: 256 << 20 },
    );
    return stdout;
  };
  await sql(`CREATE DATABASE ${POSTGRES_DATABASE}`, 'postgres');
  return {
    port: options.port,
    url: `postgres://${POSTGRES_USER}@127.0.0.1:${options.port}/${POSTGRES_DATABASE}`,
    process: child,
    sql: (statement) => sql(statement),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGINT: PostgreSQL's fast shutdown
        child.kill('SIGINT');
      }),
  };
}
