import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import { connectDatabase, type Connection } from '@omo/lib/core/db';

export function testMongodbUri(): string {
  const uri = process.env.OMO_TEST_MONGODB_URI;
  if (!uri) throw new Error('OMO_TEST_MONGODB_URI is not set: run tests through jest (its global setup starts the database)');
  return uri;
}

/** A database name no other test file uses, so tests never share state. */
export function uniqueDbName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export interface TestDatabase {
  dbName: string;
  connection: Connection;
  /** Database commands seen on this connection since the last reset, e.g. to prove a DataLoader batches. */
  commands: mongo.CommandStartedEvent[];
  drop(): Promise<void>;
}

export async function openTestDatabase(dbName = uniqueDbName()): Promise<TestDatabase> {
  const connection = await connectDatabase(testMongodbUri(), dbName, { monitorCommands: true });
  const commands: mongo.CommandStartedEvent[] = [];
  connection.getClient().on('commandStarted', (event: mongo.CommandStartedEvent) => commands.push(event));
  return {
    dbName,
    connection,
    commands,
    drop: async () => {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** The `find` commands sent to one collection. */
export function findsOn(commands: mongo.CommandStartedEvent[], collection: string): mongo.CommandStartedEvent[] {
  return commands.filter((c) => c.commandName === 'find' && (c.command as { find?: unknown }).find === collection);
}
