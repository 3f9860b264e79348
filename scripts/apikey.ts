import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@omo/lib/config';
import { connectDatabase, ensureIndexes } from '@omo/lib/db';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { resolveMongodbUri } from './runtime';

const USAGE = `usage:
  npm run apikey -- create --store <storeId> [--store <storeId> ...] --name <label>
  npm run apikey -- revoke --id <keyId>`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { store: { type: 'string', multiple: true }, name: { type: 'string' }, id: { type: 'string' } },
  });
  const command = positionals[0];
  if (command !== 'create' && command !== 'revoke') throw new Error(USAGE);
  const config = loadConfigOrExit();
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  try {
    await ensureIndexes(connection);
    const apiKeys = new ApiKeyService(membersModels(connection));
    if (command === 'create') {
      if (!values.name || !values.store?.length) throw new Error(USAGE);
      const { key, keyId } = await apiKeys.create({ name: values.name, storeIds: values.store });
      process.stdout.write(`Created key ${keyId} for store(s) ${values.store.join(', ')}. It is shown only once:\n${key}\n`);
    } else {
      if (!values.id) throw new Error(USAGE);
      process.stdout.write((await apiKeys.revoke(values.id)) ? `Revoked ${values.id}\n` : `No active key ${values.id}\n`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
