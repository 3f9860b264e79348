import { isDeepStrictEqual } from 'node:util';
import { insertManyOnce } from '@omo/lib/core/claims';
import { BadUserInputError } from '@omo/lib/core/errors';
import { DAY_MS } from '@omo/lib/core/time';
import type { PointsPolicy, Tier, TierRule } from '../models/points-policy.model';
import type { QualifyingSpendModel } from '../models/qualifying-spend.model';
import type { TierChangeReason } from '../models/tier-change.model';
import { objectIdString, validDate } from './rule-inputs';
import type { PolicyService, PolicySource } from './policy.service';

export interface TierStanding {
  tier: Tier;
  /** Yen, net of refunds, in the tier window; never below 0. */
  qualifyingSpend: number;
  nextTier: Tier | null;
  spendToNextTier: number;
  multiplierPercent: number;
}

export interface RecordSpendInput {
  key: string;
  memberId: string;
  amountDelta: number;
  occurredAt: Date;
  purchaseId?: string | null;
  /** What the spend is, for the tier change it may cause (tier-changes.ts). */
  reason: 'PURCHASE' | 'REFUND' | 'IMPORT';
  /**
   * The member's tier before this spend as its writer computed it (a settlement's earn, at `occurredAt`), if it did.
   * It is passed on to the watcher only when comparable with the tier after, which is computed at the clock's now
   * (see tierBeforeComparable).
   */
  tierBefore?: Tier;
}

/** One member's spend just written, for the watcher: `key` is the record's, the cause of the change it may make. */
export interface SpendWritten {
  memberId: string;
  reason: TierChangeReason;
  key: string;
  /**
   * The tier before the spend, only when this write stored it (not a replay's: the first try may have died before
   * its check) as the spend happened, under the tier rules in force now (recordSpendMany decides).
   */
  tierBefore?: Tier;
}

/**
 * Told after every write of spend (also a replay: the first try may have died before telling), a batch at once;
 * `policy`: where the writer read the policy (a settlement's single read), else the policy service.
 */
export interface SpendWatcher {
  spendWritten(spends: readonly SpendWritten[], policy?: PolicySource): Promise<unknown>;
}

/**
 * How near the clock a spend's time must be for the tier before it (at that time, in that time's window) to be
 * compared with the tier after (now, in today's window): spend leaving the window in between is the tier job's.
 */
const AS_IT_HAPPENS_MS = 60_000;

/** The API's limit on one purchase or refund. */
const MAX_SPEND_DELTA = 1_000_000_000;

function idempotencyKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 200) {
    throw new BadUserInputError(`${field} must be 1-200 characters`, { field });
  }
  return value;
}

/** The highest tier the spend reaches, given the tier rules lowest first (REGULAR at 0). */
export function standingFor(spend: number, tiers: readonly TierRule[]): TierStanding {
  const qualifyingSpend = Math.max(0, spend);
  let index = 0;
  tiers.forEach((rule, i) => {
    if (qualifyingSpend >= rule.minSpend) index = i;
  });
  const current = tiers[index];
  if (!current) throw new Error('The policy has no tier rules');
  const next = tiers[index + 1];
  return {
    tier: current.tier,
    qualifyingSpend,
    nextTier: next?.tier ?? null,
    spendToNextTier: next ? next.minSpend - qualifyingSpend : 0,
    multiplierPercent: current.multiplierPercent,
  };
}

/**
 * Tiers follow qualifying spend in a rolling window, so a tier is computed when asked, never stored: spend that
 * drops out of the window lowers it at once, and a tier read can never be stale. What partners were told of it is
 * tier-changes.ts, told here after every spend write (and, for a drop with time alone, by tier-change.job.ts).
 */
export class TierService {
  constructor(
    private readonly spend: QualifyingSpendModel,
    private readonly policy: PolicyService,
    private readonly clock: () => Date,
  ) {}

  private watcher: SpendWatcher | null = null;

  /** Set once by the server, which builds the tier changes (and their outbox) after the rules. */
  watchSpend(watcher: SpendWatcher): void {
    this.watcher = watcher;
  }

  /** Idempotent by `key` (the record's _id): a replay, even concurrent, stores it once. `policy`: as SpendWatcher's. */
  recordSpend(input: RecordSpendInput, policy?: PolicySource): Promise<void> {
    return this.recordSpendMany([input], policy);
  }

  /**
   * As recordSpend, for a batch (the member import) in one insert and one watcher call: every input is checked
   * before anything is written. A key already stored (a rerun) is refused by the unique _id and keeps its record,
   * so nothing is added twice; which keys clashed does not matter (FerretDB would not say), for the watcher is
   * told of every member either way, a replay being how a first try that died before telling is completed.
   */
  async recordSpendMany(inputs: readonly RecordSpendInput[], policy?: PolicySource): Promise<void> {
    const now = this.clock();
    const records = inputs.map((input) => {
      const key = idempotencyKey(input.key, 'key');
      const memberId = objectIdString(input.memberId, 'memberId');
      if (!Number.isInteger(input.amountDelta) || Math.abs(input.amountDelta) > MAX_SPEND_DELTA) {
        throw new BadUserInputError(`amountDelta must be a whole number of yen, at most ${MAX_SPEND_DELTA} either way`, { field: 'amountDelta' });
      }
      const occurredAt = validDate(input.occurredAt, 'occurredAt');
      return { _id: key, memberId, amount: input.amountDelta, occurredAt, purchaseId: input.purchaseId ?? null, transferKey: null, createdAt: now };
    });
    if (!records.length) return;
    const stored = await insertManyOnce(this.spend, records);
    const spends = await Promise.all(
      records.map(async (record, i) => {
        const { tierBefore, reason } = inputs[i]!;
        const comparable = stored && tierBefore !== undefined && (await this.tierBeforeComparable(record.occurredAt, now, policy ?? this.policy));
        return { memberId: record.memberId, reason, key: record._id, ...(comparable ? { tierBefore } : {}) };
      }),
    );
    await this.watcher?.spendWritten(spends, policy);
  }

  /**
   * Whether a tier computed at `occurredAt` can stand for the tier just before a spend written `now`: only for a
   * spend written as it happens (not a backdated sale, nor a settlement retried later), under the tier rules that
   * were in force at its time. A settlement's policy view answers both policies from its one read, unless the
   * policy changed after `occurredAt` (then it reads the older revision).
   */
  private async tierBeforeComparable(occurredAt: Date, now: Date, source: PolicySource): Promise<boolean> {
    if (Math.abs(now.getTime() - occurredAt.getTime()) > AS_IT_HAPPENS_MS) return false;
    const [then, current] = await Promise.all([source.policyAt(occurredAt), source.getPolicy()]);
    const tierRules = (policy: PointsPolicy) => [policy.tierWindowDays, policy.tiers.map(({ tier, minSpend }) => [tier, minSpend])];
    return isDeepStrictEqual(tierRules(then), tierRules(current));
  }

  /** Yen the refunds of a purchase have taken back from its spend so far, leaving out the refund `exceptKey`. */
  async refundedSpendOf(purchaseId: string, exceptKey: string): Promise<number> {
    const records = await this.spend.find({ purchaseId, _id: { $ne: exceptKey }, amount: { $lt: 0 } }, { amount: 1 }).lean<{ amount: number }[]>();
    return -records.reduce((sum, r) => sum + r.amount, 0);
  }

  async tierFor(memberId: string, at: Date, policy?: PolicySource): Promise<TierStanding> {
    const standing = (await this.tierForMany([memberId], at, policy)).get(memberId);
    if (!standing) throw new Error('tierForMany left out a member');
    return standing;
  }

  /** One policy read (none from a `source` that has it) and one aggregation, however many members; by the tier rules in force at `at`. */
  async tierForMany(memberIds: readonly string[], at: Date, source: PolicySource = this.policy): Promise<Map<string, TierStanding>> {
    const policy = await source.policyAt(at);
    const from = new Date(at.getTime() - policy.tierWindowDays * DAY_MS);
    const totals = memberIds.length
      ? await this.spend.aggregate<{ _id: string; total: number }>([
          { $match: { memberId: { $in: [...new Set(memberIds.map((id) => id.toLowerCase()))] }, occurredAt: { $gt: from, $lte: at } } },
          { $group: { _id: '$memberId', total: { $sum: '$amount' } } },
        ])
      : [];
    const spendOf = new Map(totals.map((t) => [t._id, Number(t.total)]));
    return new Map(memberIds.map((id) => [id, standingFor(spendOf.get(id.toLowerCase()) ?? 0, policy.tiers)]));
  }

  /**
   * Every member whose spend in the window (`from`, `at`] reaches `minSpend`, with that spend: one aggregation over
   * the window, read from a cursor `batchSize` members at a time (the tier job, tier-change.job.ts).
   */
  spendAtLeast(minSpend: number, from: Date, at: Date, batchSize: number): AsyncIterable<{ _id: string; total: number }> {
    return this.spend
      .aggregate<{ _id: string; total: number }>([
        { $match: { occurredAt: { $gt: from, $lte: at } } },
        { $group: { _id: '$memberId', total: { $sum: '$amount' } } },
        { $match: { total: { $gte: minSpend } } },
      ])
      .cursor({ batchSize });
  }

  /**
   * Moves every spend record of a merged member to the survivor, keeping when each was spent so it leaves the
   * survivor's window on time. A rerun (after a crash, or a record that arrived late) moves what is left.
   */
  async transferSpend(input: { key: string; fromMemberId: string; toMemberId: string }): Promise<void> {
    const key = idempotencyKey(input.key, 'key');
    const fromMemberId = objectIdString(input.fromMemberId, 'fromMemberId');
    const toMemberId = objectIdString(input.toMemberId, 'toMemberId');
    if (fromMemberId === toMemberId) throw new BadUserInputError('A member cannot be merged into itself', { field: 'toMemberId' });
    await this.spend.updateMany({ memberId: fromMemberId }, { $set: { memberId: toMemberId, transferKey: key } });
    await this.watcher?.spendWritten([
      { memberId: toMemberId, reason: 'MERGE', key },
      { memberId: fromMemberId, reason: 'MERGE', key },
    ]);
  }
}
