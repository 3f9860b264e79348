import { DAY_MS } from '@omo/lib/core/time';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Types } from 'mongoose';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { connectDatabase } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { testConfig } from '@omo/tools/testing/config';
import { startFakeLineApi } from '../test/helpers/fake-line-api';
import { startSystem } from '../scripts/system';
import { startBenchDatabase } from './lib/database';
import { cpuMs } from './lib/proc-stats';
import { machine, printTable, writeReport, type RunInfo } from './lib/report';

/**
 * `npm run bench:segments`: segmentPreview over N linked members (default 100,000) through the gateway, then one
 * segmented message delivered to the fake LINE API (test/helpers/fake-line-api.ts) and timed until COMPLETED.
 * The line service reads its links and asks members, points and purchases in batches of 5,000. The data is
 * written straight into each service's collections (one member, one link, a point account, a spend record and two
 * purchases each). The services run in this process (scripts/system.ts), background workers off; the delivery is
 * driven by its worker's `drain`, as a worker process would. Database: as `npm run bench` (bench/lib/database.ts).
 */
const USAGE = 'usage: npm run bench:segments -- [--members N]   (default 100000)';
const INSERT_BATCH = 1_000;

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

async function seed(uri: string, dbName: string, members: number, storeIds: string[], onlineStoreId: string): Promise<void> {
  const db = await connectDatabase(uri, dbName);
  const now = Date.now();
  const buffers: Record<string, object[]> = { members: [], line_links: [], point_accounts: [], qualifying_spend: [], purchase_facts: [] };
  const flush = async (force: boolean) => {
    for (const [name, docs] of Object.entries(buffers)) {
      if (docs.length && (force || docs.length >= INSERT_BATCH)) await db.collection(name).insertMany(docs.splice(0), { ordered: false });
    }
  };
  for (let i = 0; i < members; i++) {
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
  const { values } = parseArgs({ options: { members: { type: 'string', default: '100000' }, help: { type: 'boolean', default: false } } });
  const members = Number(values.members);
  if (values.help || !Number.isInteger(members) || members < 1) throw new Error(USAGE);
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[segments ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  const info: RunInfo = { startedAt: new Date(), machine: machine(), database: '' };
  const database = await startBenchDatabase(log);
  info.database = database.kind;
  const fake = await startFakeLineApi();
  const dbName = 'omo_bench_segments';
  const config = testConfig({ MONGODB_DB: dbName, LOG_LEVEL: 'warn', LINE_API_BASE_URL: fake.url, LINE_QUIET_HOURS: '' });
  const system = await startSystem({ config, mongodbUri: database.uri, logger: createLogger(config.LOG_LEVEL), runBackground: false });
  const staff = { authorization: `Bearer ${signUserToken({ sub: 'bench', role: 'STAFF' }, config)}` };
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...staff }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
  try {
    log(`database: ${database.kind}; ${info.machine.cpus} CPUs, load average ${info.machine.loadAverage}`);
    const storeIds: string[] = [];
    for (let s = 0; s < 20; s++) {
      const data = await graphql('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: `B${s}`, name: `店${s}`, kind: 'PHYSICAL' } });
      storeIds.push((data.createStore as { id: string }).id);
    }
    const online = await graphql('mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }', { input: { code: 'BEC', name: 'EC', kind: 'ONLINE' } });
    log(`seeding ${members.toLocaleString('en')} linked members`);
    const seeding = performance.now();
    await seed(database.uri, dbName, members, storeIds, (online.createStore as { id: string }).id);
    const seedSeconds = (performance.now() - seeding) / 1000;
    await database.prepareIndexes();
    // where the time goes: FerretDB, PostgreSQL (postmaster and its backends) and this process (the services; its
    // own time only: FerretDB and PostgreSQL are its children, which cpuMs would add in)
    const processes = { ferretdb: database.pid, postgres: database.postgresPid };
    const ownCpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const cpu = (): Record<string, number> => ({
      ...Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, pid === undefined ? 0 : cpuMs(pid)])),
      services: ownCpuMs(),
    });
    const cpuSeconds = (before: Record<string, number>) => {
      const after = cpu();
      return Object.fromEntries(Object.keys(after).map((name) => [name, Number(((after[name]! - before[name]!) / 1000).toFixed(1))]));
    };
    const previews: { segment: string; memberCount: number; reachableCount: number; seconds: number; cpuSeconds: Record<string, number> }[] = [];
    for (const [name, raw] of Object.entries(DEFINITIONS)) {
      const definition = JSON.parse(JSON.stringify(raw).replace('__STORE__', storeIds[0]!)) as unknown;
      log(`segmentPreview: ${name}`);
      const t = performance.now();
      const before = cpu();
      const data = await graphql('query($d: SegmentDefinitionInput) { segmentPreview(definition: $d) { memberCount reachableCount sample { id } } }', { d: definition });
      const { memberCount, reachableCount } = data.segmentPreview as { memberCount: number; reachableCount: number };
      previews.push({ segment: name, memberCount, reachableCount, seconds: Number(((performance.now() - t) / 1000).toFixed(2)), cpuSeconds: cpuSeconds(before) });
    }
    log('delivery: new members this month');
    const t = performance.now();
    const before = cpu();
    const sent = await graphql('mutation($input: SendSegmentMessageInput!) { sendSegmentMessage(input: $input) { id } }', {
      input: { definition: DEFINITIONS['new members this month'], messages: [{ text: '今月ご入会の皆さまへ' }], idempotencyKey: `bench-${Date.now()}` },
    });
    const id = (sent.sendSegmentMessage as { id: string }).id;
    await system.subgraphs.line.built.deliveries.drain(1_000);
    const seconds = (performance.now() - t) / 1000;
    const read = await graphql('query($id: ID!) { messageDelivery(id: $id) { status recipients sent failed skippedBlocked } }', { id });
    const delivery = {
      ...(read.messageDelivery as { status: string; recipients: number; sent: number; failed: number; skippedBlocked: number }),
      multicastCalls: fake.multicasts().length,
      seconds: Number(seconds.toFixed(2)),
      cpuSeconds: cpuSeconds(before),
    };
    const recipients = delivery.sent;
    printTable(`segmentPreview over ${members.toLocaleString('en')} linked members (${database.kind}; seeded in ${seedSeconds.toFixed(1)} s)`, ['segment', 'members', 'reachable', 'seconds', 'CPU s: FerretDB', 'PostgreSQL', 'services'], previews.map((p) => [p.segment, p.memberCount, p.reachableCount, p.seconds, p.cpuSeconds.ferretdb, p.cpuSeconds.postgres, p.cpuSeconds.services]));
    printTable('Segmented message to the fake LINE API (sendSegmentMessage to COMPLETED)', ['status', 'recipients', 'sent', 'skipped blocked', 'multicast calls', 'seconds', 'recipients/s', 'CPU s: FerretDB', 'PostgreSQL', 'services'], [
      [delivery.status, delivery.recipients, recipients, delivery.skippedBlocked, delivery.multicastCalls, delivery.seconds, Number((recipients / seconds).toFixed(0)), delivery.cpuSeconds.ferretdb, delivery.cpuSeconds.postgres, delivery.cpuSeconds.services],
    ]);
    writeReport(
      { scenario: 'segments', title: 'Segments: segmentPreview and a segmented delivery', parameters: { members }, results: { seedSeconds: Number(seedSeconds.toFixed(1)), previews, delivery }, notes: [] },
      info,
    );
  } finally {
    await system.close();
    await fake.close();
    await database.stop();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
