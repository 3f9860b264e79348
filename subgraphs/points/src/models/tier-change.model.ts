import { Schema, type Connection, type Model } from 'mongoose';
import { TIERS, type Tier } from './points-policy.model';

/** What moved a member's tier: a spend record written (its key is the change's `cause`), or the tier job. */
export const TIER_CHANGE_REASONS = ['PURCHASE', 'REFUND', 'IMPORT', 'MERGE', 'EXPIRY'] as const;
export type TierChangeReason = (typeof TIER_CHANGE_REASONS)[number];

/**
 * One change of a member's tier, the member's `n`-th (`_id` `<memberId>:<n>`): the insert of the next one is how
 * a change is decided once, whoever sees it first (a settlement, its retry, the tier job on another replica).
 * Never updated. tier.changed's event id is derived from it (tier-changes.ts).
 */
export interface TierChangeDoc {
  _id: string;
  memberId: string;
  n: number;
  from: Tier;
  to: Tier;
  reason: TierChangeReason;
  /** The spend record's key whose write showed the change (`purchase:<id>`, `refund:<id>`, ...), or `tier-job`. */
  cause: string;
  /** Yen in the window after the change. */
  qualifyingSpend: number;
  /** The member's ledger head when the change was seen: the points.changed it follows (0: no entry yet). */
  ledgerSeq: number;
  at: Date;
}

/**
 * A copy of each member's latest change, `_id` the member id, for the tier job to read members a page at a time.
 * Like point_accounts it may lag (a writer died before copying, or two copies raced: FerretDB's conditional update
 * is not atomic): a reader that acts on it checks tier_changes first.
 */
export interface MemberTierDoc {
  _id: string;
  tier: Tier;
  n: number;
  at: Date;
}

const tierChangeSchema = new Schema<TierChangeDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    n: { type: Number, required: true },
    from: { type: String, enum: TIERS, required: true },
    to: { type: String, enum: TIERS, required: true },
    reason: { type: String, enum: TIER_CHANGE_REASONS, required: true },
    cause: { type: String, required: true },
    qualifyingSpend: { type: Number, required: true },
    ledgerSeq: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
tierChangeSchema.index({ memberId: 1, n: -1 });

const memberTierSchema = new Schema<MemberTierDoc>(
  {
    _id: { type: String, required: true },
    tier: { type: String, enum: TIERS, required: true },
    n: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
memberTierSchema.index({ tier: 1, _id: 1 });

export interface TierChangeModels {
  changes: Model<TierChangeDoc>;
  latest: Model<MemberTierDoc>;
}

export function tierChangeModels(connection: Connection): TierChangeModels {
  return {
    changes: connection.model<TierChangeDoc>('TierChange', tierChangeSchema, 'tier_changes'),
    latest: connection.model<MemberTierDoc>('MemberTier', memberTierSchema, 'member_tiers'),
  };
}
