import mongoose, { type Connection } from 'mongoose';

export type { Connection };

// Every query's exec otherwise keeps `new Error().stack`, only to quote it if the same query object is run twice (a
// bug we do not write); with source maps on (tsx, --enable-source-maps) formatting that stack cost about 3% of the
// points service's CPU per sale.
mongoose.set('skipOriginalStackTraces', true);

/** Opens one connection per service; each service owns its own collections on it. */
export async function connectDatabase(
  uri: string,
  dbName: string,
  options: { monitorCommands?: boolean } = {},
): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName,
    monitorCommands: options.monitorCommands ?? false,
    // Indexes are created explicitly at start-up (ensureIndexes), so a unique index exists before the first write.
    autoIndex: false,
    serverSelectionTimeoutMS: 10_000,
  });
  await connection.asPromise();
  return connection;
}

/** Creates every model's indexes; exclusive claims (unique inserts) depend on them. */
export async function ensureIndexes(connection: Connection): Promise<void> {
  for (const model of Object.values(connection.models)) {
    await model.createCollection().catch(ignoreAlreadyExists);
    await model.createIndexes();
  }
}

function ignoreAlreadyExists(error: unknown): void {
  if ((error as { codeName?: string }).codeName !== 'NamespaceExists') throw error;
}

export async function pingDatabase(connection: Connection): Promise<boolean> {
  try {
    await connection.db?.admin().ping();
    return connection.readyState === mongoose.ConnectionStates.connected;
  } catch {
    return false;
  }
}

/**
 * FerretDB 1.x reports a unique-index clash caused by an update or upsert not as 11000 but as code 1 carrying its
 * backend's message (SQLite "UNIQUE constraint failed", PostgreSQL SQLSTATE 23505).
 */
const FERRETDB_UNIQUE_VIOLATION = /UNIQUE constraint failed|duplicate key value violates unique constraint|SQLSTATE 23505/;

/** E11000: the unique-index insert lost (someone else holds the claim). FerretDB gives no keyPattern: re-read. */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 11000 || (code === 1 && typeof message === 'string' && FERRETDB_UNIQUE_VIOLATION.test(message));
}
