import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { provideDatabase } from '@omo/tools/dev-db/db-provider';
import { addPushdownIndexes, preferredFerretDbBackend } from '@omo/tools/dev-db/ferretdb';
import { listeningPid } from './proc-stats';

export interface BenchDatabase {
  uri: string;
  /** external, mongodb-memory-server, ferretdb-postgresql or ferretdb-sqlite. */
  kind: string;
  /** The server's process when it runs on this machine, so its CPU can be counted too. */
  pid: number | undefined;
  /** Under FerretDB's PostgreSQL backend, the postmaster (its CPU includes its connections' backends). */
  postgresPid: number | undefined;
  /** Creates the indexes FerretDB's PostgreSQL backend needs for new collections and fields (else nothing). */
  prepareIndexes(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The bench's database: MONGODB_URI, else mongodb-memory-server, else FerretDB (lib/db-provider.ts) on PostgreSQL
 * when Debian's postgresql is installed (OMO_FERRETDB_BACKEND chooses otherwise), since on SQLite every query reads
 * the whole collection and the data set sizes cannot be measured.
 */
export async function startBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-bench-db-'));
  const database = await provideDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, log, ferretDbBackend: preferredFerretDbBackend() });
  const port = localPort(database.uri);
  const postgres = database.ferret?.postgres;
  return {
    uri: database.uri,
    kind: database.kind === 'ferretdb' ? `ferretdb-${postgres ? 'postgresql' : 'sqlite'}` : database.kind,
    pid: port === undefined ? undefined : listeningPid(port),
    postgresPid: postgres?.process.pid,
    prepareIndexes: async () => {
      if (!postgres) return;
      const started = Date.now();
      const created = await addPushdownIndexes(postgres);
      if (created) log(`PostgreSQL: ${created} pushdown indexes created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    stop: async () => {
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether the bench's database answers queries from indexes: anything but FerretDB on SQLite. */
export function benchDatabaseIsIndexed(): boolean {
  return Boolean(process.env.MONGODB_URI) || preferredFerretDbBackend() === 'postgresql';
}

/** The port of a single-host mongodb:// URI on loopback; undefined for anything else. */
function localPort(uri: string): number | undefined {
  if (!uri.startsWith('mongodb://')) return undefined;
  try {
    const url = new URL(uri.replace(/^mongodb:/, 'http:'));
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? Number(url.port || 27017) : undefined;
  } catch {
    return undefined;
  }
}
