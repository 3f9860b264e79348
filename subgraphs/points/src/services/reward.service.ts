import { Types } from 'mongoose';
import { z } from 'zod';
import { requireAuthenticated, requireStaff, type Caller } from '@omo/lib/core/auth';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import { objectIdSchema, parseInput } from '@omo/lib/core/validation';
import type { RewardDoc, RewardFields, RewardModel } from '../models/reward.model';
import { TIERS, type Tier } from '../models/points-policy.model';
import type { RuleAction } from '../models/rule-change.schema';
import { adminActor, diff, insertRevision, pick, retryOnClash } from './rule-revisions';

const REWARD_FIELDS = [
  'nameJa',
  'nameEn',
  'descriptionJa',
  'descriptionEn',
  'pointsCost',
  'benefit',
  'storeIds',
  'online',
  'validFrom',
  'validUntil',
  'stock',
  'perMemberLimit',
  'minTier',
  'active',
  'couponValidityDays',
  'restoreCouponOnRefund',
] as const satisfies readonly (keyof RewardFields)[];

const MAX_YEN = 10_000_000;
const cleaned = z.string().transform((v) => v.normalize('NFKC').trim());
const text = (max: number) => cleaned.pipe(z.string().min(1).max(max));
const description = cleaned.pipe(z.string().max(1000));
const count = (min: number, max: number) => z.number().int().min(min).max(max);

const benefitInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('YEN_OFF'), yenOff: count(1, MAX_YEN) }).strict(),
  // capYen null or omitted: no cap (such a reward's coupons can be a Shopify percentage code online)
  z.object({ kind: z.literal('PERCENT_OFF'), percentOff: count(1, 100), capYen: count(1, MAX_YEN).nullish() }).strict(),
  z.object({ kind: z.literal('FREE_ITEM'), sku: text(100) }).strict(),
]);

const fieldsInput = z.object({
  nameJa: text(100),
  nameEn: text(100),
  descriptionJa: description,
  descriptionEn: description,
  pointsCost: count(1, 1_000_000),
  benefit: benefitInput,
  storeIds: z.array(objectIdSchema().transform((id) => id.toLowerCase())).max(1000).transform((ids) => [...new Set(ids)]),
  online: z.boolean(),
  validFrom: z.date(),
  validUntil: z.date().nullable(),
  stock: count(1, 1_000_000).nullable(),
  perMemberLimit: count(1, 1000).nullable(),
  minTier: z.enum(TIERS as [Tier, ...Tier[]]).nullable(),
  active: z.boolean(),
  couponValidityDays: count(1, 365),
  restoreCouponOnRefund: z.boolean(),
});

/** GraphQL's nulls for omitted optional fields: the schema decides which are optional. */
type Input<T> = { [K in keyof T]?: T[K] | null };
export type RewardInput = Omit<Input<RewardFields>, 'benefit'> & { benefit?: Input<RewardFields['benefit']> | null };

const createInput = fieldsInput.partial({ descriptionJa: true, descriptionEn: true, storeIds: true, online: true, validFrom: true, validUntil: true, stock: true, perMemberLimit: true, minTier: true, active: true, couponValidityDays: true, restoreCouponOnRefund: true });
const updateInput = z.object({ id: objectIdSchema(), patch: fieldsInput.partial() });

/** Drops GraphQL's nulls from fields that cannot be null, so they read as "not given" (nullable ones keep them). */
function given(input: RewardInput): Record<string, unknown> {
  const nullable = new Set(['validUntil', 'stock', 'perMemberLimit', 'minTier']);
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined || (value === null && !nullable.has(field))) continue;
    out[field] = field === 'benefit' ? Object.fromEntries(Object.entries(value as object).filter(([, v]) => v !== null && v !== undefined)) : value;
  }
  return out;
}

function benefitOf(input: z.infer<typeof benefitInput>): RewardFields['benefit'] {
  return { yenOff: null, percentOff: null, sku: null, ...input, capYen: input.kind === 'PERCENT_OFF' ? (input.capYen ?? null) : null };
}

export class RewardUnavailableError extends AppError {
  constructor(reason: string) {
    super(`This reward cannot be redeemed now: ${reason}`, 'REWARD_UNAVAILABLE', { field: 'rewardId' });
  }
}

function assertValid(fields: RewardFields): void {
  if (!fields.online && fields.storeIds.length === 0) throw new BadUserInputError('A reward must be valid online or at one store at least', { field: 'storeIds' });
  if (fields.validUntil && fields.validUntil.getTime() <= fields.validFrom.getTime()) throw new BadUserInputError('validUntil must be after validFrom', { field: 'validUntil' });
}

/** Why a member of this tier cannot redeem the reward at `now`, or null when they can (stock and limits aside). */
export function unavailability(reward: RewardFields, now: Date, tier: Tier): string | null {
  if (!reward.active) return 'it is not active';
  if (reward.validFrom.getTime() > now.getTime()) return 'it has not started';
  if (reward.validUntil && reward.validUntil.getTime() <= now.getTime()) return 'it has ended';
  if (reward.minTier && TIERS.indexOf(tier) < TIERS.indexOf(reward.minTier)) return `it is for ${reward.minTier} members and above`;
  return null;
}

/**
 * The rewards catalogue: revisions under the unique (rewardId, revision), each with its audit record, like campaigns
 * (rule-revisions.ts). Administrators create and edit; staff read all; customers read what they may redeem now.
 */
export class RewardService {
  constructor(
    private readonly rewards: RewardModel,
    private readonly clock: () => Date,
    private readonly tierOf: (memberId: string, at: Date) => Promise<Tier>,
  ) {}

  async create(caller: Caller, input: RewardInput): Promise<RewardDoc> {
    const actor = adminActor(caller);
    const now = this.clock();
    const parsed = parseInput(createInput, given(input));
    const fields: RewardFields = {
      descriptionJa: '',
      descriptionEn: '',
      storeIds: [],
      online: false,
      validFrom: now,
      validUntil: null,
      stock: null,
      perMemberLimit: null,
      minTier: null,
      active: true,
      couponValidityDays: 30,
      restoreCouponOnRefund: false,
      ...parsed,
      benefit: benefitOf(parsed.benefit),
    };
    assertValid(fields);
    const doc: RewardDoc = {
      _id: new Types.ObjectId(),
      rewardId: new Types.ObjectId(),
      revision: 1,
      ...fields,
      createdAt: now,
      change: { actor, at: now, action: 'CREATE_REWARD', changes: diff(null, fields, REWARD_FIELDS) },
    };
    // a new rewardId: revision 1 cannot clash
    await this.rewards.create(doc);
    return doc;
  }

  /** Omitted fields stay as they are; a benefit given replaces the whole benefit. */
  async update(caller: Caller, id: string, input: RewardInput): Promise<RewardDoc> {
    const actor = adminActor(caller);
    const { id: rewardId, patch } = parseInput(updateInput, { id, patch: given(input) });
    return retryOnClash(async () => {
      const head = await this.head(rewardId);
      const before = pick(head, REWARD_FIELDS);
      const after: RewardFields = { ...before, ...patch, benefit: patch.benefit ? benefitOf(patch.benefit) : before.benefit };
      assertValid(after);
      return this.append(head, after, actor, 'UPDATE_REWARD');
    });
  }

  /** Staff: every reward; a customer: those they may redeem now. */
  async list(caller: Caller): Promise<RewardDoc[]> {
    const authenticated = requireAuthenticated(caller);
    if (authenticated.kind === 'staff') return this.all();
    if (authenticated.kind !== 'customer') throw new ForbiddenError('Staff and members only');
    const now = this.clock();
    const [rewards, tier] = await Promise.all([this.all(), this.tierOf(authenticated.memberId, now)]);
    return rewards.filter((reward) => unavailability(reward, now, tier) === null);
  }

  /** Staff: every revision of a reward, oldest first, each with its audit record. */
  async changes(caller: Caller, id: string): Promise<RewardDoc[]> {
    requireStaff(caller);
    const rewardId = parseInput(objectIdSchema(), id);
    const revisions = await this.rewards.find({ rewardId: new Types.ObjectId(rewardId) }).sort({ revision: 1 }).lean<RewardDoc[]>().exec();
    if (!revisions.length) throw new NotFoundError('Reward');
    return revisions;
  }

  /** One revision of a reward (what a coupon bought). */
  async revision(rewardId: string, revision: number): Promise<RewardDoc> {
    const found = await this.rewards.findOne({ rewardId: new Types.ObjectId(rewardId), revision }).lean<RewardDoc>().exec();
    if (!found) throw new NotFoundError('Reward');
    return found;
  }

  async head(rewardId: string): Promise<RewardDoc> {
    const head = await this.rewards.findOne({ rewardId: new Types.ObjectId(rewardId) }).sort({ revision: -1 }).lean<RewardDoc>().exec();
    if (!head) throw new NotFoundError('Reward');
    return head;
  }

  private async all(): Promise<RewardDoc[]> {
    const heads = new Map<string, RewardDoc>();
    for (const doc of await this.rewards.find().lean<RewardDoc[]>().exec()) {
      const key = doc.rewardId.toHexString();
      if ((heads.get(key)?.revision ?? 0) < doc.revision) heads.set(key, doc);
    }
    return [...heads.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.rewardId.toHexString().localeCompare(b.rewardId.toHexString()));
  }

  private async append(head: RewardDoc, after: RewardFields, actor: string, action: RuleAction) {
    const changes = diff(pick(head, REWARD_FIELDS), after, REWARD_FIELDS);
    if (!changes.length) return head;
    const now = this.clock();
    const revision: RewardDoc = { _id: new Types.ObjectId(), rewardId: head.rewardId, revision: head.revision + 1, ...after, createdAt: head.createdAt, change: { actor, at: now, action, changes } };
    return insertRevision(this.rewards, revision, revision);
  }
}
