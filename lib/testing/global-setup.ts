import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { provideDatabase, type ProvidedDatabase } from '../db-provider';
import { preferredFerretDbBackend } from '../ferretdb';

declare global {
  var __OMO_TEST_DATABASE__: ProvidedDatabase | undefined;
}

/**
 * One database server for the whole run (MONGODB_URI, else mongod, else FerretDB, over PostgreSQL when it is
 * installed: there FerretDB decodes only the documents a query matches, which makes the suite about twice as fast);
 * each test file uses its own database on it.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-test-db-'));
  const database = await provideDatabase({
    mongodbUri: process.env.MONGODB_URI,
    dataDir,
    ferretDbBackend: preferredFerretDbBackend(),
    log: (line) => process.stderr.write(`[test db] ${line}\n`),
  });
  process.stderr.write(`[test db] ${database.kind} at ${database.uri}\n`);
  process.env.OMO_TEST_MONGODB_URI = database.uri;
  process.env.OMO_TEST_DATA_DIR = dataDir;
  globalThis.__OMO_TEST_DATABASE__ = database;
}
