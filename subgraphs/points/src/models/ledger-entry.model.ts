import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { EarnBreakdown } from '../services/earn-calculator';

export type LedgerEntryType = 'EARN' | 'REDEEM' | 'ADJUST' | 'EXPIRE' | 'REVERSAL' | 'BONUS' | 'MERGE_OUT' | 'MERGE_IN' | 'IMPORT';
export type Channel = 'STORE' | 'ONLINE';

/** Points earned together, spent and expired together: FIFO by expiry. */
export interface Lot {
  lotId: string;
  amount: number;
  remaining: number;
  earnedAt: Date;
  /** Pending until then (the return window). */
  availableAt: Date;
  expiresAt: Date;
  purchaseId?: string | null;
}

/**
 * One immutable ledger entry. Entry `seq` of a member is the only writer of that member's state at that point:
 * (memberId, seq) is unique, so of two concurrent changes computed from the same head exactly one is stored.
 * Each entry carries the whole state after it (open lots, debt, lifetime earned), so the head entry alone is
 * the account, and balanceAfter == sum(amount) == sum(lotsAfter.remaining) - debtAfter.
 */
export interface LedgerEntryDoc {
  _id: Types.ObjectId;
  memberId: string;
  seq: number;
  type: LedgerEntryType;
  amount: number;
  balanceAfter: number;
  lotsAfter: Lot[];
  /** Points owed after a refund took back points already spent; paid off by the next credits. */
  debtAfter: number;
  lifetimeEarnedAfter: number;
  lastPurchaseAt?: Date | null;
  storeId?: string | null;
  channel?: Channel | null;
  purchaseId?: string | null;
  reason?: string | null;
  actor: string;
  createdAt: Date;
  expiresAt?: Date | null;
  idempotencyKey: string;
  /** A digest of the request that wrote the entry; a replayed key with another request is refused. */
  requestDigest?: string | null;
  /** REVERSAL only: whether it takes back earned points or gives back redeemed ones. */
  reverses?: 'EARN' | 'REDEEM' | null;
  earnBreakdown?: EarnBreakdown | null;
  /** MERGE_OUT only: what moved, so MERGE_IN can be written from it after a crash. */
  movedLots?: Lot[] | null;
  movedDebt?: number | null;
  movedLifetimeEarned?: number | null;
  counterpartMemberId?: string | null;
  /** A reward's redemption (REDEEM) or its points given back (REVERSAL): the coupon it issued. */
  couponId?: string | null;
  /** A coupon's spend: the reward revision it bought, so a resent redemption issues what was paid for. */
  rewardRevision?: number | null;
  /** REDEEM with overdraft ALLOW only: the points it spent beyond the usable balance, owed since (in debtAfter). */
  overdrawn?: number;
}

const lotSchema = new Schema<Lot>(
  {
    lotId: { type: String, required: true },
    amount: { type: Number, required: true },
    remaining: { type: Number, required: true },
    earnedAt: { type: Date, required: true },
    availableAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    purchaseId: { type: String, default: null },
  },
  { _id: false },
);

const ledgerEntrySchema = new Schema<LedgerEntryDoc>(
  {
    memberId: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true, enum: ['EARN', 'REDEEM', 'ADJUST', 'EXPIRE', 'REVERSAL', 'BONUS', 'MERGE_OUT', 'MERGE_IN', 'IMPORT'] },
    amount: { type: Number, required: true },
    balanceAfter: { type: Number, required: true },
    lotsAfter: { type: [lotSchema], default: [] },
    debtAfter: { type: Number, required: true, default: 0 },
    lifetimeEarnedAfter: { type: Number, required: true, default: 0 },
    lastPurchaseAt: { type: Date, default: null },
    storeId: { type: String, default: null },
    channel: { type: String, default: null },
    purchaseId: { type: String, default: null },
    reason: { type: String, default: null },
    actor: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
    idempotencyKey: { type: String, required: true },
    requestDigest: { type: String, default: null },
    reverses: { type: String, default: null },
    earnBreakdown: { type: Schema.Types.Mixed, default: null },
    movedLots: { type: [lotSchema], default: undefined },
    movedDebt: { type: Number, default: null },
    movedLifetimeEarned: { type: Number, default: null },
    counterpartMemberId: { type: String, default: null },
    couponId: { type: String, default: null },
    rewardRevision: { type: Number, default: null },
    overdrawn: { type: Number },
  },
  { versionKey: false },
);
ledgerEntrySchema.index({ memberId: 1, seq: 1 }, { unique: true });
ledgerEntrySchema.index({ idempotencyKey: 1 }, { unique: true });
ledgerEntrySchema.index({ purchaseId: 1 });
// the expiry job's sweep finds the entry that paid for a coupon
ledgerEntrySchema.index({ couponId: 1 });

export type LedgerEntryModel = Model<LedgerEntryDoc>;

export function ledgerEntryModel(connection: Connection): LedgerEntryModel {
  return connection.model<LedgerEntryDoc>('LedgerEntry', ledgerEntrySchema, 'point_ledger');
}
