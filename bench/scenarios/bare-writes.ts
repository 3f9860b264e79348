import { Types, type mongo } from 'mongoose';
import { connectDatabase, ensureIndexes, isDuplicateKeyError, type Connection } from '@omo/lib/core/db';
import { DAY_MS } from '@omo/lib/core/time';
import { memberModel, type MemberDoc } from '@omo/members/src/models/member.model';
import { ledgerEntryModel, type LedgerEntryDoc } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel, type PointAccountDoc } from '@omo/points/src/models/point-account.model';
import { qualifyingSpendModel, type QualifyingSpendDoc } from '@omo/points/src/models/qualifying-spend.model';
import { breakdownFor } from '@omo/points/src/services/earn-calculator';
import { snapshotOf } from '@omo/points/src/services/ledger-append';
import { credit, entryFieldsFor, extendExpiry, stateFromEntry, stateFromSnapshot, type LedgerState } from '@omo/points/src/services/lots';
import { defaultPolicy, lotExpiry, pendingDaysOf } from '@omo/points/src/services/points-policy';
import { purchaseFactModel, type PurchaseFactDoc } from '@omo/purchases/src/models/purchase-fact.model';
import { purchaseModel, type PurchaseDoc } from '@omo/purchases/src/models/purchase.model';
import { digestOf, purchaseIdFor } from '@omo/purchases/src/services/idempotency';
import { loadStats, type LoadStats } from '../lib/load';
import { measure, type ProcessCost } from '../lib/meter';
import { memberDocs, memberIndices, prng, storeDoc, type DatasetOptions } from '../seed/dataset';
import { databaseProcess, type BenchRun } from './bench-run';
import { randomSale, type PosSale } from './pos-sale';

/** The bare run's own database on the same server: what it writes never meets what our services read. */
export const BARE_DB = 'omo_bench_bare';
const POLICY = defaultPolicy();
/** No tier read: the bare run earns at the entry tier's rate (ours reads the member's spend to find the tier). */
const BASE_TIER = POLICY.tiers[0]?.tier ?? 'REGULAR';
const ACTOR = 'pos:bench-bare';
const BATCH = 1_000;
/** Enough for every register racing on one member: each round, one of them wins the seq. */
const MAX_ATTEMPTS = 50;

export interface BareRow extends LoadStats {
  run: string;
  purchasesPerSecond: number;
  perProcess: Record<string, ProcessCost>;
  /** Database commands per purchase, all of them the bare writer's. */
  dbOpsPerRequest: number;
  acknowledged: number;
  /** Purchases written COMPLETED with their EARN entry, checked after the run; must equal acknowledged. */
  completedWithEntry: number;
}

interface BareCollections {
  members: mongo.Collection<MemberDoc>;
  purchases: mongo.Collection<PurchaseDoc>;
  ledger: mongo.Collection<LedgerEntryDoc>;
  accounts: mongo.Collection<PointAccountDoc>;
  facts: mongo.Collection<PurchaseFactDoc>;
  spend: mongo.Collection<QualifyingSpendDoc>;
}

/**
 * The floor under scenario 2: the database writes a member's POS purchase cannot do without, sent straight with the
 * MongoDB driver from `registers` concurrent loops, with no GraphQL, HTTP or service in between. The card is
 * resolved in the data set's own members collection (read only); everything written goes to BARE_DB, whose
 * collections have the services' names and indexes and start with the data set's point accounts. Per purchase:
 * the member by card code, the purchase inserted PENDING_POINTS under its key's id, the snapshot read as the head,
 * the EARN entry inserted at seq + 1 (unique (memberId, seq) and key: a lost race re-reads the ledger's head), the
 * snapshot moved on conditionally, the tier spend and the stats fact inserted under their unique ids, and the
 * purchase marked COMPLETED last, so a crash anywhere leaves it pending, as ours does. Eight commands.
 */
export async function bareWritesRun(run: BenchRun, scaleDb: string): Promise<BareRow> {
  const { options } = run;
  const dataset = options.scale;
  const connection = await connectDatabase(run.settings.mongodbUri, BARE_DB, { monitorCommands: true });
  let commands = 0;
  connection.getClient().on('commandStarted', () => (commands += 1));
  try {
    await connection.dropDatabase();
    run.log(`scenario 2: bare writes: copying the data set's ${dataset.members.toLocaleString('en')} point accounts to ${BARE_DB}`);
    const collections = await prepareBareDatabase(connection, dataset, scaleDb);
    await run.database.prepareIndexes();
    const storeIds = Array.from({ length: dataset.stores }, (_, i) => storeDoc(dataset, i)._id.toHexString());
    const channels = new Map(Array.from({ length: dataset.stores }, (_, i) => storeDoc(dataset, i)).map((s) => [s._id.toHexString(), s.kind === 'ONLINE' ? ('ONLINE' as const) : ('STORE' as const)]));
    const random = prng(dataset.seed + 1);
    const runId = `bare-${Date.now().toString(36)}`;
    let next = 0;
    const acknowledged: string[] = [];
    const load = async (durationSeconds: number, record: boolean): Promise<LoadStats> => {
      const latencies: number[] = [];
      let sent = 0;
      let errors = 0;
      let firstError: string | null = null;
      const started = process.hrtime.bigint();
      const end = Date.now() + durationSeconds * 1000;
      const register = async () => {
        while (Date.now() < end) {
          const sale = randomSale(random, dataset, storeIds, `${runId}-${(next += 1)}`);
          const at = process.hrtime.bigint();
          sent += 1;
          try {
            const purchaseId = await barePurchase(collections, sale, channels.get(sale.storeId) ?? 'STORE');
            latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
            if (record) acknowledged.push(purchaseId);
          } catch (error) {
            errors += 1;
            firstError ??= String(error).slice(0, 500);
          }
        }
      };
      await Promise.all(Array.from({ length: options.registers }, register));
      return loadStats({ latencies, sent, seconds: Number(process.hrtime.bigint() - started) / 1e9, errors, firstError });
    };

    run.log('scenario 2: bare writes');
    await load(options.warmupSeconds, false);
    const bench = { name: 'bare-writer', pid: process.pid, commands: () => Promise.resolve(commands) };
    const measured = await measure([bench, ...databaseProcess(run)], (r: LoadStats) => r.sent, () => load(options.writeDurationSeconds, true));
    const completedWithEntry = await countSettled(collections, acknowledged);
    return {
      run: 'bare writes (driver only)',
      ...measured.result,
      purchasesPerSecond: Number((acknowledged.length / measured.result.seconds).toFixed(1)),
      perProcess: measured.perProcess,
      dbOpsPerRequest: measured.dbOpsPerRequest,
      acknowledged: acknowledged.length,
      completedWithEntry,
    };
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

/** BARE_DB with the services' indexes on the collections it writes, and the data set's point accounts. */
async function prepareBareDatabase(connection: Connection, dataset: DatasetOptions, scaleDb: string): Promise<BareCollections> {
  const models = {
    purchases: purchaseModel(connection),
    ledger: ledgerEntryModel(connection),
    accounts: pointAccountModel(connection),
    facts: purchaseFactModel(connection),
    spend: qualifyingSpendModel(connection),
  };
  await ensureIndexes(connection);
  const db = connection.getClient().db(BARE_DB);
  const collections: BareCollections = {
    members: connection.getClient().db(scaleDb).collection<MemberDoc>(memberModel(connection).collection.collectionName),
    purchases: db.collection<PurchaseDoc>(models.purchases.collection.collectionName),
    ledger: db.collection<LedgerEntryDoc>(models.ledger.collection.collectionName),
    accounts: db.collection<PointAccountDoc>(models.accounts.collection.collectionName),
    facts: db.collection<PurchaseFactDoc>(models.facts.collection.collectionName),
    spend: db.collection<QualifyingSpendDoc>(models.spend.collection.collectionName),
  };
  // computed from the generator's pure functions rather than read: FerretDB decodes every document it returns
  let batch: PointAccountDoc[] = [];
  for (const index of memberIndices(dataset)) {
    batch.push(memberDocs(dataset, index).account);
    if (batch.length < BATCH) continue;
    await collections.accounts.insertMany(batch, { ordered: false });
    batch = [];
  }
  if (batch.length) await collections.accounts.insertMany(batch, { ordered: false });
  return collections;
}

/** One purchase's writes; resolves with its id. */
async function barePurchase(c: BareCollections, sale: PosSale, channel: 'STORE' | 'ONLINE'): Promise<string> {
  const member = await c.members.findOne({ memberCode: sale.memberCode }, { projection: { _id: 1, status: 1 } });
  if (!member || member.status !== 'ACTIVE') throw new Error(`no active member has card ${sale.memberCode}`);
  const memberId = member._id.toHexString();
  const purchaseId = purchaseIdFor(sale.storeId, sale.idempotencyKey);
  const pid = purchaseId.toHexString();
  const now = new Date();
  await c.purchases.insertOne({
    _id: purchaseId,
    idempotencyKey: sale.idempotencyKey,
    requestDigest: digestOf([sale.memberCode, null, null, sale.lines, 0, 0, null]),
    storeId: sale.storeId,
    externalId: null,
    memberId,
    channel,
    lines: sale.lines,
    subtotal: sale.total,
    discount: 0,
    total: sale.total,
    pointsApplied: 0,
    amountPaid: sale.total,
    occurredAt: now,
    state: 'PENDING_POINTS',
    actor: ACTOR,
    createdAt: now,
    updatedAt: now,
  });
  await appendEarn(c, memberId, pid, sale, channel, now);
  await c.spend.insertOne({ _id: `purchase:${pid}`, memberId, amount: sale.total, occurredAt: now, purchaseId: pid, transferKey: null, createdAt: now });
  await c.facts.insertOne({ _id: `purchase:${pid}`, memberId, storeId: sale.storeId, channel, count: 1, amount: sale.total, occurredAt: now });
  await c.purchases.updateOne({ _id: purchaseId }, { $set: { state: 'COMPLETED', updatedAt: new Date() } });
  return pid;
}

/** The EARN entry at the head's seq + 1, then the snapshot moved on to it (only forward). */
async function appendEarn(c: BareCollections, memberId: string, purchaseId: string, sale: PosSale, channel: 'STORE' | 'ONLINE', at: Date): Promise<void> {
  const idempotencyKey = `purchase:${purchaseId}:earn`;
  const snapshot = await c.accounts.findOne({ _id: memberId });
  let state = snapshot ? stateFromSnapshot(snapshot) : await ledgerHead(c, memberId);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const entry = earnEntry(state, idempotencyKey, purchaseId, sale, channel, at);
    try {
      await c.ledger.insertOne(entry);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (await c.ledger.findOne({ idempotencyKey }, { projection: { _id: 1 } })) return;
      state = await ledgerHead(c, memberId);
      continue;
    }
    await c.accounts.updateOne({ _id: memberId, seq: { $lt: entry.seq } }, { $set: snapshotOf(entry) }, { upsert: true }).catch((error: unknown) => {
      // the upsert's insert losing means a newer snapshot is there already
      if (!isDuplicateKeyError(error)) throw error;
    });
    return;
  }
  throw new Error(`could not append to the ledger of ${memberId} after ${MAX_ATTEMPTS} attempts`);
}

/** The head as BARE_DB's ledger has it: its newest entry, else the copied snapshot's state. */
async function ledgerHead(c: BareCollections, memberId: string): Promise<LedgerState> {
  const head = await c.ledger.findOne({ memberId }, { sort: { seq: -1 } });
  if (head) return stateFromEntry(head);
  const snapshot = await c.accounts.findOne({ _id: memberId });
  if (!snapshot) throw new Error(`member ${memberId} has no point account`);
  return stateFromSnapshot(snapshot);
}

/** The entry the points service writes for a sale earning at the base rate (its lot, expiry and pending days). */
function earnEntry(state: LedgerState, idempotencyKey: string, purchaseId: string, sale: PosSale, channel: 'STORE' | 'ONLINE', at: Date): LedgerEntryDoc {
  const breakdown = breakdownFor(POLICY, null, [], [], { storeId: sale.storeId, channel, amount: sale.total, tier: BASE_TIER, at, lines: sale.lines.map((l) => ({ ...l, category: null })) });
  const expiresAt = lotExpiry(POLICY, at, at);
  const base = POLICY.expiryMode === 'AFTER_LAST_PURCHASE' ? { ...state, lots: extendExpiry(state.lots, expiresAt) } : state;
  const entryId = new Types.ObjectId();
  const lot = { lotId: entryId.toHexString(), amount: breakdown.points, earnedAt: at, availableAt: new Date(at.getTime() + pendingDaysOf(POLICY, channel) * DAY_MS), expiresAt, purchaseId };
  const change = breakdown.points > 0 ? credit(base, lot, true) : { amount: 0, lots: base.lots, debt: base.debt, lifetimeEarned: base.lifetimeEarned };
  return {
    _id: entryId,
    type: 'EARN',
    actor: ACTOR,
    purchaseId,
    storeId: sale.storeId,
    channel,
    earnBreakdown: breakdown,
    createdAt: at,
    idempotencyKey,
    requestDigest: null,
    ...entryFieldsFor(state, { ...change, lastPurchaseAt: at }),
  };
}

/** Of the acknowledged purchases, those COMPLETED whose EARN entry is in the ledger. */
async function countSettled(c: BareCollections, purchaseIds: string[]): Promise<number> {
  const completed = await c.purchases.countDocuments({ _id: { $in: purchaseIds.map((id) => new Types.ObjectId(id)) }, state: 'COMPLETED' });
  const entries = await c.ledger.countDocuments({ purchaseId: { $in: purchaseIds }, type: 'EARN' });
  return Math.min(completed, entries);
}
