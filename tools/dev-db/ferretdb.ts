import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgresBinDir, startPostgres, type RunningPostgres } from '@omo/tools/dev-db/postgres';
import { waitForReadyLine } from '@omo/lib/server/server-process';

const run = promisify(execFile);

export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.2';
/** Our patches to FerretDB's source, applied in name order before the build (see each patch's comments). */
const PATCH_DIR = path.join(__dirname, 'ferretdb-patches');
const PATCHES = readdirSync(PATCH_DIR)
  .filter((f) => f.endsWith('.patch'))
  .sort()
  .map((f) => path.join(PATCH_DIR, f));
/** Changes whenever a patch does, so a changed patch means a new build. */
const PATCHES_DIGEST = createHash('sha256')
  .update(PATCHES.map((f) => readFileSync(f)).join('\0'))
  .digest('hex')
  .slice(0, 8);
/** Outside the checkout, so a fresh clone on the same machine (CI) reuses the build. */
const CACHE_DIR = path.join(
  process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
  'omo-loyalty',
  `ferretdb-${FERRETDB_VERSION}-${PATCHES_DIGEST}`,
);
export const FERRETDB_BINARY = path.join(CACHE_DIR, 'ferretdb');

/**
 * Builds FerretDB from the Go module proxy once and caches the binary under .cache/.
 * FerretDB panics at start unless build/version/version.txt is embedded, and (since Go 1.26 names the tool's own
 * module as the main module) `go install` of the tool never embeds it; so we build from a writable copy of the
 * module with version.txt written in, which is what FerretDB's own release build does. Our patches
 * (tools/dev-db/ferretdb-patches) are applied to that copy.
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
    // the module cache is read-only; the copy must take version.txt and the patches
    await run('chmod', ['-R', 'u+w', srcDir]);
    await writeFile(path.join(srcDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    for (const patch of PATCHES) await run('git', ['apply', patch], { cwd: srcDir });
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
  /** The PostgreSQL cluster under the postgresql backend. */
  postgres?: RunningPostgres;
  stop(): Promise<void>;
}

/**
 * Which storage FerretDB uses. `sqlite` (the default for `npm start`): files in dataDir, and every query reads the
 * whole collection (FerretDB pushes only a lone _id down to SQLite). `postgresql` (tests and the bench when Debian's
 * PostgreSQL is installed, or OMO_FERRETDB_BACKEND=postgresql): a throwaway cluster in dataDir; FerretDB pushes
 * equality and `$in` (our patch) on top-level fields down as JSONB containment, so it decodes only the matching
 * documents, and the bench adds the GIN indexes (`addPushdownIndexes`) that make those lookups indexed.
 */
export type FerretDbBackend = 'sqlite' | 'postgresql';

export function ferretDbBackend(value = process.env.OMO_FERRETDB_BACKEND): FerretDbBackend {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgresql') return 'postgresql';
  throw new Error(`OMO_FERRETDB_BACKEND must be sqlite or postgresql, not ${value}`);
}

/** OMO_FERRETDB_BACKEND when set; else PostgreSQL when Debian's is installed, else SQLite (tests and the bench). */
export function preferredFerretDbBackend(): FerretDbBackend {
  if (process.env.OMO_FERRETDB_BACKEND) return ferretDbBackend();
  return postgresBinDir() ? 'postgresql' : 'sqlite';
}

/** Starts FerretDB on loopback and resolves once it logs "Listening on TCP". */
export async function startFerretDb(options: { dataDir: string; port?: number; backend?: FerretDbBackend }): Promise<RunningFerretDb> {
  const binary = await ensureFerretDbBinary((line) => process.stderr.write(`${line}\n`));
  await mkdir(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const postgres = options.backend === 'postgresql' ? await startPostgres({ dataDir: options.dataDir, port: await freePort() }) : undefined;
  const storage = postgres ? ['--handler=postgresql', `--postgresql-url=${postgres.url}`] : ['--handler=sqlite', `--sqlite-url=file:${options.dataDir}/`];
  const child = spawn(
    binary,
    [...storage, `--listen-addr=127.0.0.1:${port}`, '--state-dir=-', '--debug-addr=-', '--telemetry=disable', '--log-level=info'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    await waitForReadyLine(child, 'FerretDB', 'Listening on TCP');
  } catch (error) {
    await postgres?.stop();
    throw error;
  }
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    process: child,
    postgres,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await postgres?.stop();
    },
  };
}

/**
 * Indexes for the filters FerretDB pushes down to PostgreSQL, on every top-level field named by an index of a
 * collection (and `_id`): a GIN index for equality (`_jsonb->'f' @> value`; FerretDB's own indexes are btrees,
 * which `@>` cannot use), and for `$in` (our patch: `_jsonb->'f' = ANY(...) OR jsonb_typeof(_jsonb->'f') =
 * 'array'`) a btree plus a partial btree over the documents whose value is an array. Without them every query
 * is a table scan. Idempotent: run it again after new collections appear. Returns how many it created.
 */
export async function addPushdownIndexes(postgres: RunningPostgres): Promise<number> {
  const schemas = (await postgres.sql(`SELECT schemaname FROM pg_tables WHERE tablename = '_ferretdb_database_metadata'`)).split('\n').filter(Boolean);
  const existing = new Set((await postgres.sql(`SELECT indexname FROM pg_indexes WHERE indexname LIKE 'omo\\_%'`)).split('\n').filter(Boolean));
  let created = 0;
  for (const schema of schemas) {
    const rows = (await postgres.sql(`SELECT _jsonb::text FROM ${quoteIdent(schema)}._ferretdb_database_metadata`)).split('\n').filter(Boolean);
    for (const row of rows) {
      const collection = JSON.parse(row) as { table: string; indexes?: Array<{ key: Record<string, unknown> }> };
      const table = `${quoteIdent(schema)}.${quoteIdent(collection.table)}`;
      const fields = new Set(['_id']);
      for (const index of collection.indexes ?? []) {
        // a dotted key is pushed down as a path (`#>`), which these indexes do not serve; and its top-level field
        // may hold large values (arrays of sub-documents) that a btree row cannot
        for (const field of Object.keys(index.key)) if (field !== '$s' && !field.includes('.')) fields.add(field);
      }
      for (const field of fields) {
        const value = `(_jsonb -> ${quoteLiteral(field)})`;
        const tag = createHash('sha256').update(`${schema}.${collection.table}.${field}`).digest('hex').slice(0, 16);
        const wanted: Record<string, string> = {
          [`omo_eq_${tag}`]: `ON ${table} USING gin (${value} jsonb_path_ops)`,
          [`omo_in_${tag}`]: `ON ${table} (${value})`,
          [`omo_ia_${tag}`]: `ON ${table} (${value}) WHERE jsonb_typeof(${value}) = 'array'`,
        };
        for (const [name, definition] of Object.entries(wanted)) {
          if (existing.has(name)) continue;
          await postgres.sql(`CREATE INDEX ${quoteIdent(name)} ${definition}`);
          existing.add(name);
          created += 1;
        }
      }
    }
  }
  if (created) await postgres.sql('ANALYZE');
  return created;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
