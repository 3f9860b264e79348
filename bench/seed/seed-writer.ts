import type { Connection } from '@omo/lib/core/db';
import { ensureIndexes } from '@omo/lib/core/db';
import { membersModels } from '@omo/members/src/models';
import { ledgerEntryModel } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel } from '@omo/points/src/models/point-account.model';
import { qualifyingSpendModel } from '@omo/points/src/models/qualifying-spend.model';
import { purchasesModels } from '@omo/purchases/src/models';
import type { mongo } from 'mongoose';
import { memberDocs, memberIndices, storeDoc, type DatasetOptions, type MemberDocs } from './dataset';

/** Documents per insertMany: big enough to amortise a round trip, small enough to keep memory flat. */
const BATCH = 1_000;

export interface SeedCounts {
  members: number;
  purchases: number;
  ledgerEntries: number;
}

type Collections = Record<keyof MemberDocs, mongo.Collection>;

/**
 * Writes the data set straight into the services' collections, one member at a time: each collection buffers at
 * most BATCH documents before an unordered bulk insert, so memory stays flat however large the data set is.
 * The services' indexes are created first (as each service does at start-up), so unique keys hold while seeding.
 * `withStores: false` adds members to a database that already has the data set's stores.
 */
export async function writeDataset(
  connection: Connection,
  options: DatasetOptions,
  { withStores = true, onProgress = () => undefined }: { withStores?: boolean; onProgress?: (done: SeedCounts) => void } = {},
): Promise<SeedCounts> {
  const members = membersModels(connection);
  const purchases = purchasesModels(connection);
  const ledger = ledgerEntryModel(connection);
  await ensureIndexes(connection);
  if (withStores) await purchases.stores.collection.insertMany(Array.from({ length: options.stores }, (_, i) => storeDoc(options, i)));

  const collections: Collections = {
    member: members.members.collection,
    claims: members.contactClaims.collection,
    purchases: purchases.purchases.collection,
    facts: purchases.facts.collection,
    ledger: ledger.collection,
    account: pointAccountModel(connection).collection,
    spend: qualifyingSpendModel(connection).collection,
  };
  const buffers = new Map<mongo.Collection, object[]>(Object.values(collections).map((c) => [c, []]));
  const flush = async (all: boolean) => {
    await Promise.all(
      [...buffers].map(async ([collection, docs]) => {
        if (docs.length === 0 || (!all && docs.length < BATCH)) return;
        buffers.set(collection, []);
        await collection.insertMany(docs, { ordered: false });
      }),
    );
  };

  const counts: SeedCounts = { members: 0, purchases: 0, ledgerEntries: 0 };
  for (const index of memberIndices(options)) {
    const docs = memberDocs(options, index);
    for (const key of Object.keys(collections) as (keyof MemberDocs)[]) {
      const value = docs[key];
      buffers.get(collections[key])?.push(...(Array.isArray(value) ? value : [value]));
    }
    counts.members += 1;
    counts.purchases += docs.purchases.length;
    counts.ledgerEntries += docs.ledger.length;
    if ([...buffers.values()].some((b) => b.length >= BATCH)) {
      await flush(false);
      onProgress(counts);
    }
  }
  await flush(true);
  onProgress(counts);
  return counts;
}

/** Whether the services' collections already hold data (seeding twice would clash on unique keys). */
export async function hasData(connection: Connection): Promise<boolean> {
  const counts = await Promise.all([membersModels(connection).members, ledgerEntryModel(connection), purchasesModels(connection).stores].map((m) => m.estimatedDocumentCount()));
  return counts.some((n) => n > 0);
}
