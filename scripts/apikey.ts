import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { connectDatabase, ensureIndexes } from '@omo/lib/core/db';
import { directoryFromUrls } from '@omo/lib/server/run-subgraph';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { StoresClient } from '@omo/members/src/services/stores.client';
import { resolveMongodbUri } from './runtime';

const USAGE = `usage:
  npm run apikey -- create --store <storeId or code> [--store <storeId or code> ...] --name <label>
  npm run apikey -- revoke --id=<keyId>`;

/**
 * The members service's own tool for its keys, so it writes them to members' database directly. The stores belong
 * to purchases: they are checked through its internal API (PURCHASES_URL, signed with INTERNAL_SECRET), exactly as
 * createApiKey checks them, so the running purchases service must be reachable.
 */
async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { store: { type: 'string', multiple: true }, name: { type: 'string' }, id: { type: 'string' } },
  });
  const command = positionals[0];
  if (command !== 'create' && command !== 'revoke') throw new Error(USAGE);
  if (command === 'create' && (!values.name || !values.store?.length)) throw new Error(USAGE);
  if (command === 'revoke' && !values.id) throw new Error(USAGE);
  const config = loadConfigOrExit();
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  try {
    await ensureIndexes(connection);
    const apiKeys = new ApiKeyService(membersModels(connection));
    if (command === 'create') {
      const stores = new StoresClient(directoryFromUrls({ purchases: config.PURCHASES_URL }), config.INTERNAL_SECRET);
      const { key, keyId, stores: resolved } = await apiKeys.createForStores({ name: values.name!, stores: values.store! }, stores);
      const storeList = resolved.map((store) => `${store.code} (${store.id})`).join(', ');
      process.stdout.write(`Created key ${keyId} for ${storeList}. It is shown only once:\n${key}\n`);
    } else {
      const revoked = await apiKeys.revoke(values.id!);
      if (!revoked) throw new Error(`No key ${values.id}`);
      process.stdout.write(`Revoked ${values.id}\n`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
