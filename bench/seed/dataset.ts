import { DAY_MS } from '@omo/lib/core/time';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { prng } from '@omo/tools/testing/random';
import type { ContactClaimDoc } from '@omo/members/src/models/contact-claim.model';
import type { MemberDoc } from '@omo/members/src/models/member.model';
import { checkDigit } from '@omo/members/src/services/member-code';
import type { LedgerEntryDoc } from '@omo/points/src/models/ledger-entry.model';
import type { PointAccountDoc } from '@omo/points/src/models/point-account.model';
import type { QualifyingSpendDoc } from '@omo/points/src/models/qualifying-spend.model';
import { breakdownFor } from '@omo/points/src/services/earn-calculator';
import { credit, emptyState, entryFieldsFor, stateFromEntry, type Change, type LedgerState } from '@omo/points/src/services/lots';
import { defaultPolicy, lotExpiry, pendingDaysOf } from '@omo/points/src/services/points-policy';
import { standingFor } from '@omo/points/src/services/tier.service';
import type { PurchaseFactDoc } from '@omo/purchases/src/models/purchase-fact.model';
import type { PurchaseDoc, PurchaseLineDoc } from '@omo/purchases/src/models/purchase.model';
import type { StoreDoc, StoreKind } from '@omo/purchases/src/models/store.model';
import { digestOf, idFromKey } from '@omo/purchases/src/services/idempotency';

/**
 * The bench data set as pure functions of (seed, sizes, anchor day): the same options give the same documents,
 * in the shapes the services store (their model types), written straight to their collections.
 */
export interface DatasetOptions {
  seed: number;
  /** Ordinary members; the probe members come on top. */
  members: number;
  /** Purchases of the ordinary members, spread evenly over them; the probes' purchases come on top. */
  purchases: number;
  stores: number;
  /** Every date lies in the year before this instant, so no point lot has expired yet. */
  anchor: Date;
  /** Probe members to include (scenarios 1 and 3); the scale data set has none. */
  probes: readonly ProbeName[];
}

/**
 * Members with a known number of purchases, for the fan-out queries (scenarios 1 and 3). A probe's member index is
 * its place in this list, whichever probes a data set includes; ordinary members come after all of them.
 */
export const PROBES = [
  { name: 'fanout1', purchases: 1 },
  { name: 'fanout10', purchases: 10 },
  { name: 'fanout20', purchases: 20 },
  { name: 'fanout100', purchases: 100 },
] as const;
export type ProbeName = (typeof PROBES)[number]['name'];

export const SEED_ACTOR = 'pos:bench-seed';
const HISTORY_DAYS = 330;
const POLICY = defaultPolicy();

// one PRNG per member (tools/testing/random), so members can be generated in any order
export { prng };

function hashInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function objectIdOf(text: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(text).digest('hex').slice(0, 24));
}

export function totalMembers(options: DatasetOptions): number {
  return options.probes.length + options.members;
}

export function totalPurchases(options: DatasetOptions): number {
  return PROBES.filter((p) => options.probes.includes(p.name)).reduce((sum, p) => sum + p.purchases, 0) + options.purchases;
}

/** The member index of the i-th ordinary member. */
export function ordinaryMemberIndex(i: number): number {
  return PROBES.length + i;
}

/** Every member of the data set, by index: the included probes, then the ordinary members. */
export function* memberIndices(options: DatasetOptions): Generator<number> {
  for (const name of options.probes) yield probeIndex(name);
  for (let i = 0; i < options.members; i += 1) yield ordinaryMemberIndex(i);
}

export function storeIdOf(options: Pick<DatasetOptions, 'seed'>, index: number): Types.ObjectId {
  return objectIdOf(`bench:${options.seed}:store:${index}`);
}

export function memberIdOf(options: Pick<DatasetOptions, 'seed'>, index: number): Types.ObjectId {
  return objectIdOf(`bench:${options.seed}:member:${index}`);
}

/** 13 digits in the in-store range with the EAN-13 check digit, unique per index. */
export function memberCodeOf(index: number): string {
  const body = `29${String(index).padStart(10, '0')}`;
  return body + String(checkDigit(body));
}

/** Member index of a probe: the probes come first. */
export function probeIndex(name: ProbeName): number {
  return PROBES.findIndex((p) => p.name === name);
}

function purchaseCountOf(options: DatasetOptions, index: number): number {
  const probe = PROBES[index];
  if (probe) return probe.purchases;
  if (options.members === 0) return 0;
  const ordinary = index - ordinaryMemberIndex(0);
  return Math.floor(options.purchases / options.members) + (ordinary < options.purchases % options.members ? 1 : 0);
}

const PREFECTURES = [
  ['東京都', '新宿区'],
  ['東京都', '渋谷区'],
  ['大阪府', '大阪市'],
  ['愛知県', '名古屋市'],
  ['福岡県', '福岡市'],
  ['北海道', '札幌市'],
] as const;

/** One store in ten is online; the rest are physical. */
export function storeDoc(options: DatasetOptions, index: number): StoreDoc {
  const kind: StoreKind = index % 10 === 9 ? 'ONLINE' : 'PHYSICAL';
  const [prefecture, city] = PREFECTURES[index % PREFECTURES.length] ?? PREFECTURES[0];
  const createdAt = new Date(options.anchor.getTime() - (HISTORY_DAYS + 30) * DAY_MS);
  return {
    _id: storeIdOf(options, index),
    code: `B${String(index).padStart(3, '0')}`,
    name: kind === 'ONLINE' ? `OMO オンライン ${index}` : `OMO ${city}店 ${index}`,
    kind,
    prefecture: kind === 'ONLINE' ? null : prefecture,
    city: kind === 'ONLINE' ? null : city,
    opensAt: null,
    closesAt: null,
    shopifyShopDomain: null,
    shopifyWebhookSecret: null,
    createdAt,
    updatedAt: createdAt,
  };
}

/** Everything one member contributes to each service's collections. */
export interface MemberDocs {
  member: MemberDoc;
  claims: ContactClaimDoc[];
  purchases: PurchaseDoc[];
  facts: PurchaseFactDoc[];
  ledger: LedgerEntryDoc[];
  account: PointAccountDoc;
  spend: QualifyingSpendDoc[];
}

const FAMILY = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤'];
const GIVEN = ['花子', '太郎', '美咲', '一郎', '結衣', '大輝', '陽菜', '蓮', '葵', '湊'];
export const PRODUCTS = [
  { sku: 'TEE-001', name: 'オーガニックTシャツ', unitPrice: 2_980, category: 'apparel' },
  { sku: 'SOX-010', name: 'ソックス3足組', unitPrice: 990, category: 'apparel' },
  { sku: 'MUG-200', name: '白磁マグカップ', unitPrice: 1_650, category: 'home' },
  { sku: 'TOWEL-30', name: '今治タオル', unitPrice: 3_300, category: 'home' },
  { sku: 'TEA-005', name: '静岡煎茶 100g', unitPrice: 1_080, category: 'food' },
  { sku: 'BAG-777', name: 'キャンバストート', unitPrice: 4_400, category: 'bags' },
] as const;

/** A member with their purchase history, settled the way the points service settles a purchase. */
export function memberDocs(options: DatasetOptions, index: number): MemberDocs {
  const random = prng(hashInt(`bench:${options.seed}:member:${index}`));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const memberId = memberIdOf(options, index);
  const id = memberId.toHexString();
  const memberCode = memberCodeOf(index);
  const homeStore = Math.floor(random() * options.stores);
  const createdAt = new Date(options.anchor.getTime() - HISTORY_DAYS * DAY_MS + Math.floor(random() * DAY_MS));
  const email = `member${index}@bench.example`;
  const member: MemberDoc = {
    _id: memberId,
    memberCode,
    displayName: `${pick(FAMILY)}${pick(GIVEN)}`,
    email,
    phone: null,
    registeredVia: 'STORE',
    registeredStoreId: storeIdOf(options, homeStore).toHexString(),
    tags: [],
    status: 'ACTIVE',
    mergedIntoId: null,
    withdrawnAt: null,
    createdAt,
    updatedAt: createdAt,
  };

  const ledger: LedgerEntryDoc[] = [];
  let state: LedgerState = emptyState(id);
  const append = (change: Change, fields: Omit<LedgerEntryDoc, keyof Change | 'seq' | 'memberId' | 'balanceAfter' | 'lotsAfter' | 'debtAfter' | 'lifetimeEarnedAfter'> & { expiresAt?: Date | null }) => {
    const entry: LedgerEntryDoc = { ...fields, ...entryFieldsFor(state, change), requestDigest: fields.requestDigest ?? null };
    ledger.push(entry);
    state = stateFromEntry(entry);
  };

  const bonusId = objectIdOf(`bench:${options.seed}:bonus:${index}`);
  append(
    credit(state, { lotId: bonusId.toHexString(), amount: POLICY.signupBonusPoints, earnedAt: createdAt, availableAt: createdAt, expiresAt: lotExpiry(POLICY, createdAt, null) }, true),
    { _id: bonusId, type: 'BONUS', actor: 'system', reason: 'Sign-up bonus', createdAt, idempotencyKey: `signup:${id}` },
  );

  const count = purchaseCountOf(options, index);
  const purchases: PurchaseDoc[] = [];
  const facts: PurchaseFactDoc[] = [];
  const spend: QualifyingSpendDoc[] = [];
  const span = options.anchor.getTime() - DAY_MS - createdAt.getTime();
  let spent = 0;
  for (let k = 0; k < count; k += 1) {
    // evenly spaced with jitter, so the history is already in time order
    const occurredAt = new Date(createdAt.getTime() + Math.floor(((k + random()) / count) * span));
    const storeIndex = random() < 0.7 ? homeStore : Math.floor(random() * options.stores);
    const store = storeDoc(options, storeIndex);
    const storeId = store._id.toHexString();
    const channel = store.kind === 'ONLINE' ? 'ONLINE' : 'STORE';
    const lines: PurchaseLineDoc[] = [];
    for (const product of PRODUCTS) {
      if (lines.length < 3 && random() < 0.35) lines.push({ ...product, quantity: 1 + Math.floor(random() * 3) });
    }
    if (lines.length === 0) lines.push({ ...pick(PRODUCTS), quantity: 1 });
    const subtotal = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    const idempotencyKey = `seed-${index}-${k}`;
    const purchaseId = idFromKey(`purchase:${storeId}:${idempotencyKey}`);
    const pid = purchaseId.toHexString();
    purchases.push({
      _id: purchaseId,
      idempotencyKey,
      requestDigest: digestOf([memberCode, null, null, lines, 0, 0, occurredAt.toISOString()]),
      storeId,
      externalId: null,
      memberId: id,
      channel,
      lines,
      subtotal,
      discount: 0,
      total: subtotal,
      pointsApplied: 0,
      amountPaid: subtotal,
      occurredAt,
      state: 'COMPLETED',
      rejectionReason: null,
      actor: SEED_ACTOR,
      createdAt: occurredAt,
      updatedAt: occurredAt,
    });
    facts.push({ _id: `purchase:${pid}`, memberId: id, storeId, channel, count: 1, amount: subtotal, occurredAt });

    // the tier before this purchase's own spend, as SettlementService.settle computes it
    const { tier } = standingFor(spent, POLICY.tiers);
    const breakdown = breakdownFor(POLICY, null, [], [], { storeId, channel, amount: subtotal, tier, at: occurredAt });
    const entryId = objectIdOf(`bench:${options.seed}:earn:${pid}`);
    const lastPurchaseAt = occurredAt;
    const lot = { lotId: entryId.toHexString(), amount: breakdown.points, earnedAt: occurredAt, availableAt: new Date(occurredAt.getTime() + pendingDaysOf(POLICY, channel) * DAY_MS), expiresAt: lotExpiry(POLICY, occurredAt, lastPurchaseAt), purchaseId: pid };
    const change: Change =
      breakdown.points > 0 ? credit(state, lot, true) : { amount: 0, lots: state.lots, debt: state.debt, lifetimeEarned: state.lifetimeEarned, lastPurchaseAt };
    append(
      { ...change, lastPurchaseAt },
      { _id: entryId, type: 'EARN', actor: SEED_ACTOR, purchaseId: pid, storeId, channel, earnBreakdown: breakdown, createdAt: occurredAt, idempotencyKey: `purchase:${pid}:earn`, requestDigest: null },
    );
    spend.push({ _id: `purchase:${pid}`, memberId: id, amount: subtotal, occurredAt, purchaseId: pid, transferKey: null, createdAt: occurredAt });
    spent += subtotal;
  }

  const head = ledger[ledger.length - 1];
  if (!head) throw new Error('every member has a sign-up bonus entry');
  return {
    member,
    claims: [{ _id: `email:${email}`, memberId, createdAt }],
    purchases,
    facts,
    ledger,
    account: { _id: id, seq: head.seq, lots: head.lotsAfter, debt: head.debtAfter, lifetimeEarned: head.lifetimeEarnedAfter, lastPurchaseAt: head.lastPurchaseAt ?? null, balance: head.balanceAfter, mergedInto: null, mergedIntoSeq: head.seq, updatedAt: head.createdAt },
    spend,
  };
}
