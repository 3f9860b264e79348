import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Types } from 'mongoose';
import { signUserToken } from '@omo/lib/auth';
import { connectDatabase } from '@omo/lib/db';
import { provideDatabase } from '@omo/lib/db-provider';
import { createLogger } from '@omo/lib/logger';
import { testConfig } from '@omo/lib/testing/config';
import { startSystem } from '../scripts/system';

/**
 * segmentPreview over N linked members (BENCH_SEGMENT_MEMBERS, default 100,000), through the gateway: the line
 * service reads its links and asks members, points and purchases in batches of 5,000. The data is written straight
 * into each service's collections (one member, one link, a point account, a spend record and two purchases each).
 * Run on MongoDB (MONGODB_URI) for numbers that mean anything: FerretDB scans a whole collection per query.
 *
 *   MONGODB_URI=mongodb://... npx tsx bench/segment-preview.ts
 */
const MEMBERS = Number(process.env.BENCH_SEGMENT_MEMBERS ?? 100_000);
const INSERT_BATCH = 1_000;
const DAY_MS = 86_400_000;

const DEFINITIONS: Record<string, unknown> = {
  'store X in the last 90 days, never online': {
    and: [{ storesVisited: { storeIds: ['__STORE__'], window: { fromDaysAgo: 90 } } }, { channelUsage: { usage: 'STORE_ONLY' } }],
  },
  'GOLD members': { tier: ['GOLD'] },
  'new members this month': { registered: { fromDaysAgo: 30 } },
  'GOLD, not seen for 180 days, or 1000+ points expiring in 30 days': {
    or: [{ and: [{ tier: ['GOLD'] }, { not: { lastPurchase: { fromDaysAgo: 180 } } }] }, { pointsExpiring: { withinDays: 30, minPoints: 1000 } }],
  },
};

async function seed(uri: string, dbName: string, storeIds: string[], onlineStoreId: string): Promise<void> {
  const db = await connectDatabase(uri, dbName);
  const now = Date.now();
  const buffers: Record<string, object[]> = { members: [], line_links: [], point_accounts: [], qualifying_spend: [], purchase_facts: [] };
  const flush = async (force: boolean) => {
    for (const [name, docs] of Object.entries(buffers)) {
      if (docs.length && (force || docs.length >= INSERT_BATCH)) await db.collection(name).insertMany(docs.splice(0), { ordered: false });
    }
  };
  for (let i = 0; i < MEMBERS; i++) {
    const _id = new Types.ObjectId();
    const memberId = _id.toHexString();
    const created = new Date(now - (i % 400) * DAY_MS);
    const spend = (i % 10) * 20_000;
    buffers.members!.push({ _id, memberCode: String(2_000_000_000_000 + i), displayName: `会員${i}`, registeredVia: i % 2 ? 'STORE' : 'ONLINE', tags: [], status: 'ACTIVE', createdAt: created, updatedAt: created });
    buffers.line_links!.push({ _id: `U${memberId}`, memberId, linkedAt: created, friendStatus: i % 17 ? 'FRIEND' : 'BLOCKED' });
    const lot = { lotId: `${memberId}:1`, amount: spend / 100, remaining: spend / 100, earnedAt: created, availableAt: created, expiresAt: new Date(now + (i % 365) * DAY_MS), purchaseId: null };
    buffers.point_accounts!.push({ _id: memberId, seq: 1, lots: [lot], debt: 0, lifetimeEarned: lot.amount, lastPurchaseAt: created, balance: lot.amount, updatedAt: created });
    buffers.qualifying_spend!.push({ _id: `bench:${memberId}`, memberId, amount: spend, occurredAt: new Date(now - (i % 300) * DAY_MS), purchaseId: null, transferKey: null, createdAt: created });
    for (let p = 0; p < 2; p++) {
      // a third of the members also buy online
      const online = p === 1 && i % 3 === 0;
      buffers.purchase_facts!.push({ _id: `purchase:${memberId}:${p}`, memberId, storeId: online ? onlineStoreId : storeIds[(i * 3 + p) % storeIds.length], channel: online ? 'ONLINE' : 'STORE', count: 1, amount: spend / 2, occurredAt: new Date(now - ((i * 7 + p * 97) % 365) * DAY_MS) });
    }
    await flush(false);
  }
  await flush(true);
  await db.close();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'segment-bench-'));
  const database = await provideDatabase({ mongodbUri: process.env.MONGODB_URI, dataDir });
  const dbName = `bench_segments_${Date.now()}`;
  const config = testConfig({ MONGODB_DB: dbName, LOG_LEVEL: 'warn' });
  const system = await startSystem({ config, mongodbUri: database.uri, logger: createLogger(config.LOG_LEVEL), runBackground: false });
  const staff = { authorization: `Bearer ${signUserToken({ sub: 'bench', role: 'STAFF' }, config.JWT_SECRET)}` };
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...staff }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
  try {
    const storeIds: string[] = [];
    for (let s = 0; s < 20; s++) {
      const data = await graphql('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: `B${s}`, name: `店${s}`, kind: 'PHYSICAL' } });
      storeIds.push((data.createStore as { id: string }).id);
    }
    const seeding = performance.now();
    const online = await graphql('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'BEC', name: 'EC', kind: 'ONLINE' } });
    await seed(database.uri, dbName, storeIds, (online.createStore as { id: string }).id);
    process.stdout.write(`seeded ${MEMBERS} linked members on ${database.kind} in ${((performance.now() - seeding) / 1000).toFixed(1)} s\n`);
    for (const [name, raw] of Object.entries(DEFINITIONS)) {
      const definition = JSON.parse(JSON.stringify(raw).replace('__STORE__', storeIds[0]!)) as unknown;
      const started = performance.now();
      const data = await graphql('query($d: SegmentDefinitionInput) { segmentPreview(definition: $d) { memberCount reachableCount sample { id } } }', { d: definition });
      const { memberCount, reachableCount } = data.segmentPreview as { memberCount: number; reachableCount: number };
      process.stdout.write(`${name}: ${memberCount} members, ${reachableCount} reachable, ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    }
  } finally {
    const db = await connectDatabase(database.uri, dbName);
    await db.dropDatabase().catch(() => undefined);
    await db.close();
    await system.close();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
