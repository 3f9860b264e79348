import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { provideDatabase, type ProvidedDatabase } from '@omo/lib/db-provider';
import { listeningPid } from './proc-stats';

export interface BenchDatabase {
  uri: string;
  kind: ProvidedDatabase['kind'];
  /** The server's process when it runs on this machine, so its CPU can be counted too. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The database the tests use: MONGODB_URI, else mongodb-memory-server, else FerretDB (lib/db-provider.ts). */
export async function startBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-bench-db-'));
  const database = await provideDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir, log });
  const port = localPort(database.uri);
  return {
    uri: database.uri,
    kind: database.kind,
    pid: port === undefined ? undefined : listeningPid(port),
    stop: async () => {
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
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
