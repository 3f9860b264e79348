import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { provideDatabase, type ProvidedDatabase } from '@omo/tools/dev-db/db-provider';
import { preferredFerretDbBackend, type FerretDbBackend } from '@omo/tools/dev-db/ferretdb';
import { BROWSER_ENV } from '@omo/tools/testing/browser';
import { goMissingDuringBuild, preflight } from '@omo/tools/testing/preflight';

declare global {
  var __OMO_TEST_DATABASE__: ProvidedDatabase | undefined;
}

/**
 * First the preflight (what npm cannot install: one message and the run stops, instead of every test file failing
 * on its own). Then one database server for the whole run (MONGODB_URI, else mongod, else FerretDB, over PostgreSQL when it is
 * installed: there FerretDB decodes only the documents a query matches, which makes the suite about twice as fast);
 * each test file uses its own database on it.
 */
export default async function globalSetup(): Promise<void> {
  const { browser } = await preflight((line) => process.stderr.write(`[test browser] ${line}\n`));
  process.stderr.write(`[test browser] ${browser.source} at ${browser.executablePath}\n`);
  process.env[BROWSER_ENV] = JSON.stringify(browser);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'omo-test-db-'));
  const log = (line: string) => process.stderr.write(`[test db] ${line}\n`);
  const provide = (backend: FerretDbBackend, dir: string) => provideDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir: dir, ferretDbBackend: backend, log });
  const preferred = preferredFerretDbBackend();
  let database: ProvidedDatabase;
  try {
    // the directory itself: PostgreSQL's user must own it (it cannot enter a subdirectory of our 0700 temp dir)
    database = await provide(preferred, dataDir);
  } catch (error) {
    const goMissing = goMissingDuringBuild(error);
    if (goMissing) throw goMissing;
    // PostgreSQL chosen only because its binaries are there, and it would not start: the suite still runs, slower
    if (preferred !== 'postgresql' || process.env.OMO_FERRETDB_BACKEND) throw error;
    log(`FerretDB on PostgreSQL did not start (${(error as Error).message.split('\n')[0]}); using SQLite`);
    database = await provide('sqlite', path.join(dataDir, 'sqlite'));
  }
  process.stderr.write(`[test db] ${database.kind}${database.ferret ? ` (${database.ferret.postgres ? 'PostgreSQL' : 'SQLite'})` : ''} at ${database.uri}\n`);
  process.env.OMO_TEST_MONGODB_URI = database.uri;
  process.env.OMO_TEST_DATA_DIR = dataDir;
  globalThis.__OMO_TEST_DATABASE__ = database;
}
