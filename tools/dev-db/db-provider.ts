import { existsSync, readdirSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import path from 'node:path';
import type { MongoMemoryServer } from 'mongodb-memory-server-core';
import { ferretDbBackend, startFerretDb, type FerretDbBackend, type RunningFerretDb } from '@omo/tools/dev-db/ferretdb';

export interface ProvidedDatabase {
  uri: string;
  /** Which server answered: the one in MONGODB_URI, a real mongod, or FerretDB. */
  kind: 'external' | 'mongodb-memory-server' | 'ferretdb';
  /** Set when kind is ferretdb. */
  ferret?: RunningFerretDb;
  stop(): Promise<void>;
}

const MEMORY_SERVER_TIMEOUT_MS = 60_000;

/**
 * The database for tests and `npm start`, in this order: MONGODB_URI; else a real mongod from
 * mongodb-memory-server (it downloads one where the internet is reachable); else FerretDB on loopback, on the
 * backend given (default: OMO_FERRETDB_BACKEND, else SQLite).
 */
export async function provideDatabase(options: {
  mongodbUri?: string;
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  ferretDbBackend?: FerretDbBackend;
}): Promise<ProvidedDatabase> {
  const log = options.log ?? (() => undefined);
  if (options.mongodbUri) return { uri: options.mongodbUri, kind: 'external', stop: () => Promise.resolve() };

  const memoryServer = await tryMemoryServer(options, log);
  if (memoryServer) {
    return { uri: memoryServer.getUri(), kind: 'mongodb-memory-server', stop: async () => void (await memoryServer.stop()) };
  }

  const ferret = await startFerretDb({ dataDir: options.dataDir, port: options.port, backend: options.ferretDbBackend ?? ferretDbBackend() });
  return { uri: ferret.uri, kind: 'ferretdb', ferret, stop: () => ferret.stop() };
}

async function tryMemoryServer(
  options: { dataDir: string; port?: number },
  log: (line: string) => void,
): Promise<MongoMemoryServer | undefined> {
  if (process.env.OMO_SKIP_MEMORY_SERVER === '1') return undefined;
  if (!(await mongodCanBeObtained())) {
    log('no mongod binary and no route to its download site; using FerretDB');
    return undefined;
  }
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  let timer: NodeJS.Timeout | undefined;
  try {
    const server = MongoMemoryServer.create({
      instance: { port: options.port, dbPath: undefined, ip: '127.0.0.1' },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), MEMORY_SERVER_TIMEOUT_MS);
    });
    return await Promise.race([server, timeout]);
  } catch (error) {
    log(`mongodb-memory-server unavailable (${(error as Error).message.split('\n')[0]}); using FerretDB`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * mongodb-memory-server needs a mongod: a configured one, one it downloaded before, or a download. Checking
 * first keeps an offline start quiet and fast instead of failing through three download retries.
 */
export async function mongodCanBeObtained(): Promise<boolean> {
  if (process.env.MONGOMS_SYSTEM_BINARY) return true;
  const cacheDir = process.env.MONGOMS_DOWNLOAD_DIR ?? path.join(os.homedir(), '.cache', 'mongodb-binaries');
  if (existsSync(cacheDir) && readdirSync(cacheDir).some((f) => f.startsWith('mongod'))) return true;
  const mirror = process.env.MONGOMS_DOWNLOAD_MIRROR ?? process.env.MONGOMS_DOWNLOAD_URL ?? 'https://fastdl.mongodb.org';
  try {
    await lookup(new URL(mirror).hostname);
    return true;
  } catch {
    return false;
  }
}
