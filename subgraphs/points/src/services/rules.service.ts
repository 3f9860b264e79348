import { isDeepStrictEqual } from 'node:util';
import { Types } from 'mongoose';
import { requireAdmin, requireAuthenticated, requireStaff, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { CampaignDoc, CampaignFields, CampaignKind, CampaignModel } from '../models/campaign.model';
import {
  CHANNELS,
  TIERS,
  type Channel,
  type ChannelRate,
  type ExpiryMode,
  type PointsPolicy,
  type PolicyRevisionDoc,
  type PolicyRevisionModel,
  type Rounding,
  type Tier,
  type TierRule,
} from '../models/points-policy.model';
import type { FieldChange, RuleAction } from '../models/rule-change.schema';
import type { StoreRateRevisionDoc, StoreRateRevisionModel } from '../models/store-earn-rate.model';
import { MAX_INT, MAX_YEN, isGiven, objectIdString, oneOf, uniqueList, validDate, wholeNumber } from './rule-inputs';

export { CHANNELS, TIERS };
export type { CampaignDoc, CampaignKind, Channel, ChannelRate, ExpiryMode, PointsPolicy, Rounding, Tier, TierRule };

/** A store's own earn rate; it overrides the channel default inside its window (start inclusive, end exclusive). */
export interface StoreEarnRate {
  storeId: string;
  ratePoints: number;
  ratePerYen: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface EarnRules extends PointsPolicy {
  storeRates: StoreEarnRate[];
}

export interface CreateCampaignInput {
  name: string;
  kind: CampaignKind;
  multiplierPercent?: number | null;
  bonusPoints?: number | null;
  minAmount?: number | null;
  storeIds?: readonly string[] | null;
  channels?: readonly Channel[] | null;
  tiers?: readonly Tier[] | null;
  startsAt: Date;
  endsAt: Date;
}

export type UpdateCampaignInput = { [K in Exclude<keyof CreateCampaignInput, 'kind'>]?: CreateCampaignInput[K] | null };

export interface SetStoreEarnRateInput {
  storeId: string;
  ratePoints?: number | null;
  ratePerYen?: number | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
}

export interface TierRuleInput {
  tier: Tier;
  minSpend: number;
  multiplierPercent: number;
}

export interface SetPointsPolicyInput {
  channel?: Channel | null;
  ratePoints?: number | null;
  ratePerYen?: number | null;
  rounding?: Rounding | null;
  pendingDays?: number | null;
  onlinePendingDays?: number | null;
  expiryMode?: ExpiryMode | null;
  lotValidityDays?: number | null;
  inactivityDays?: number | null;
  signupBonusPoints?: number | null;
  tierWindowDays?: number | null;
}

export interface RuleModels {
  policies: PolicyRevisionModel;
  storeRates: StoreRateRevisionModel;
  campaigns: CampaignModel;
}

/**
 * Online orders come back by post after they are delivered: without a stated return policy, Japan's Act on
 * Specified Commercial Transactions lets a mail-order buyer return goods within 8 days of receiving them, and
 * delivery and the return's own shipping come on top. Points that wait this long are rarely spent and then taken back.
 */
const DEFAULT_ONLINE_PENDING_DAYS = 14;

/** The days a purchase's points stay pending, by its channel. */
export function pendingDaysOf(policy: PointsPolicy, channel: Channel): number {
  return channel === 'ONLINE' ? policy.onlinePendingDays : policy.pendingDays;
}

/** The rules in force until staff change them. */
export function defaultPolicy(): PointsPolicy {
  return {
    rounding: 'FLOOR',
    pendingDays: 0,
    onlinePendingDays: DEFAULT_ONLINE_PENDING_DAYS,
    expiryMode: 'PER_LOT',
    lotValidityDays: 365,
    inactivityDays: 365,
    signupBonusPoints: 100,
    tierWindowDays: 365,
    channelRates: [
      { channel: 'STORE', ratePoints: 1, ratePerYen: 100 },
      { channel: 'ONLINE', ratePoints: 1, ratePerYen: 100 },
    ],
    tiers: [
      { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
      { tier: 'SILVER', minSpend: 50_000, multiplierPercent: 110 },
      { tier: 'GOLD', minSpend: 150_000, multiplierPercent: 125 },
      { tier: 'PLATINUM', minSpend: 400_000, multiplierPercent: 150 },
    ],
  };
}

const POLICY_FIELDS = [
  'rounding',
  'pendingDays',
  'onlinePendingDays',
  'expiryMode',
  'lotValidityDays',
  'inactivityDays',
  'signupBonusPoints',
  'tierWindowDays',
  'channelRates',
  'tiers',
] as const satisfies readonly (keyof PointsPolicy)[];

const CAMPAIGN_FIELDS = [
  'name',
  'kind',
  'multiplierPercent',
  'bonusPoints',
  'minAmount',
  'storeIds',
  'channels',
  'tiers',
  'startsAt',
  'endsAt',
] as const satisfies readonly (keyof CampaignFields)[];

type StoreRateFields = Pick<StoreRateRevisionDoc, 'ratePoints' | 'ratePerYen' | 'startsAt' | 'endsAt'>;
const STORE_RATE_FIELDS = ['ratePoints', 'ratePerYen', 'startsAt', 'endsAt'] as const satisfies readonly (keyof StoreRateFields)[];
const REMOVED_STORE_RATE: StoreRateFields = { ratePoints: null, ratePerYen: null, startsAt: null, endsAt: null };

/** Each round of a clash on the revision index, one writer wins: enough for any realistic number of staff at once. */
const MAX_REVISION_ATTEMPTS = 20;
const MAX_SCOPE_ITEMS = 1000;

function pick<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const field of fields) picked[field] = source[field];
  return picked;
}

function diff<T extends object>(before: T | null, after: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  return fields
    .filter((field) => !before || !isDeepStrictEqual(before[field], after[field]))
    .map((field) => ({ field, before: before ? before[field] : null, after: after[field] }));
}

/** Runs a read-compute-insert step again when its insert lost the race for the next revision number. */
async function retryOnClash<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      if (attempt >= MAX_REVISION_ATTEMPTS) throw new Error('Too many concurrent changes to the same rule', { cause: error });
    }
  }
}

/** Keeps the documents that are the highest revision of their rule, given every (key, revision) of those rules. */
function headsOnly<T>(candidates: T[], revisions: { key: string; revision: number }[], keyOf: (doc: T) => string, revisionOf: (doc: T) => number): T[] {
  const highest = new Map<string, number>();
  for (const { key, revision } of revisions) highest.set(key, Math.max(highest.get(key) ?? 0, revision));
  return candidates.filter((doc) => highest.get(keyOf(doc)) === revisionOf(doc));
}

function byStartThenId(a: CampaignDoc, b: CampaignDoc): number {
  return a.startsAt.getTime() - b.startsAt.getTime() || a.campaignId.toHexString().localeCompare(b.campaignId.toHexString());
}

/** Rules, campaigns, tiers and the policy are changed by administrators only. */
function adminActor(caller: Caller): string {
  return `staff:${requireAdmin(caller).staffId}`;
}

function campaignName(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFKC').trim() : '';
  if (name.length < 1 || name.length > 100) throw new BadUserInputError('name must be 1-100 characters', { field: 'name' });
  return name;
}

const storeIdList = (values: unknown) => uniqueList(values, 'storeIds', MAX_SCOPE_ITEMS, (v) => objectIdString(v, 'storeIds'));
const channelList = (values: unknown) => uniqueList(values, 'channels', CHANNELS.length, (v) => oneOf(v, CHANNELS, 'channels'));
const tierList = (values: unknown) => uniqueList(values, 'tiers', TIERS.length, (v) => oneOf(v, TIERS, 'tiers'));
const multiplier = (value: unknown) => wholeNumber(value, 'multiplierPercent', 101, 10_000);
const bonus = (value: unknown) => wholeNumber(value, 'bonusPoints', 1, 1_000_000);
const minAmount = (value: unknown) => wholeNumber(value, 'minAmount', 0, MAX_YEN);

/** The kind-specific fields of a campaign: each kind has its own, and only its own. */
function kindFields(kind: CampaignKind, multiplierPercent: unknown, bonusPoints: unknown): Pick<CampaignFields, 'multiplierPercent' | 'bonusPoints'> {
  if (kind === 'MULTIPLIER') {
    if (isGiven(bonusPoints)) throw new BadUserInputError('bonusPoints is for FIXED_BONUS campaigns only', { field: 'bonusPoints' });
    return { multiplierPercent: multiplier(multiplierPercent), bonusPoints: null };
  }
  if (isGiven(multiplierPercent)) throw new BadUserInputError('multiplierPercent is for MULTIPLIER campaigns only', { field: 'multiplierPercent' });
  return { multiplierPercent: null, bonusPoints: bonus(bonusPoints) };
}

function assertWindow(startsAt: Date, endsAt: Date): void {
  if (endsAt.getTime() <= startsAt.getTime()) throw new BadUserInputError('endsAt must be after startsAt', { field: 'endsAt' });
}

function assertFuture(endsAt: Date, now: Date): void {
  if (endsAt.getTime() <= now.getTime()) throw new BadUserInputError('endsAt must be in the future', { field: 'endsAt' });
}

function tierRules(input: readonly TierRuleInput[]): TierRule[] {
  if (input.length !== TIERS.length) {
    throw new BadUserInputError(`tiers must have exactly one rule for each of ${TIERS.join(', ')}`, { field: 'tiers' });
  }
  const rules = TIERS.map((tier) => {
    const matching = input.filter((rule) => rule.tier === tier);
    if (matching.length !== 1) throw new BadUserInputError(`tiers must have exactly one rule for ${tier}`, { field: 'tiers' });
    const [rule] = matching as [TierRuleInput];
    return {
      tier,
      minSpend: wholeNumber(rule.minSpend, 'minSpend', 0, MAX_INT),
      multiplierPercent: wholeNumber(rule.multiplierPercent, 'multiplierPercent', 100, 1000),
    };
  });
  if (rules[0]?.minSpend !== 0) throw new BadUserInputError('REGULAR must start at minSpend 0', { field: 'minSpend' });
  rules.forEach((rule, i) => {
    const lower = rules[i - 1];
    if (lower && rule.minSpend <= lower.minSpend) {
      throw new BadUserInputError(`${rule.tier} minSpend must be above ${lower.tier} minSpend`, { field: 'minSpend' });
    }
  });
  return rules;
}

type PolicyScalars = Omit<PointsPolicy, 'channelRates' | 'tiers'>;

/** Validates a policy change as a whole before anything is read or written. */
function policyPatch(input: SetPointsPolicyInput): { scalars: Partial<PolicyScalars>; rate: { channel: Channel; ratePoints?: number; ratePerYen?: number } | null } {
  const scalars: Partial<PolicyScalars> = {};
  if (isGiven(input.rounding)) scalars.rounding = oneOf(input.rounding, ['FLOOR', 'HALF_UP'] as const, 'rounding');
  if (isGiven(input.expiryMode)) scalars.expiryMode = oneOf(input.expiryMode, ['PER_LOT', 'AFTER_LAST_PURCHASE'] as const, 'expiryMode');
  if (isGiven(input.pendingDays)) scalars.pendingDays = wholeNumber(input.pendingDays, 'pendingDays', 0, 365);
  if (isGiven(input.onlinePendingDays)) scalars.onlinePendingDays = wholeNumber(input.onlinePendingDays, 'onlinePendingDays', 0, 365);
  if (isGiven(input.lotValidityDays)) scalars.lotValidityDays = wholeNumber(input.lotValidityDays, 'lotValidityDays', 1, 3650);
  if (isGiven(input.inactivityDays)) scalars.inactivityDays = wholeNumber(input.inactivityDays, 'inactivityDays', 1, 3650);
  if (isGiven(input.signupBonusPoints)) scalars.signupBonusPoints = wholeNumber(input.signupBonusPoints, 'signupBonusPoints', 0, 100_000);
  if (isGiven(input.tierWindowDays)) scalars.tierWindowDays = wholeNumber(input.tierWindowDays, 'tierWindowDays', 1, 1095);

  const hasRate = isGiven(input.ratePoints) || isGiven(input.ratePerYen);
  if (!isGiven(input.channel)) {
    if (hasRate) throw new BadUserInputError('ratePoints and ratePerYen need the channel they apply to', { field: 'channel' });
    return { scalars, rate: null };
  }
  const channel = oneOf(input.channel, CHANNELS, 'channel');
  if (!hasRate) throw new BadUserInputError('channel needs ratePoints or ratePerYen', { field: 'ratePoints' });
  return {
    scalars,
    rate: {
      channel,
      ...(isGiven(input.ratePoints) ? { ratePoints: wholeNumber(input.ratePoints, 'ratePoints', 0, 1000) } : {}),
      ...(isGiven(input.ratePerYen) ? { ratePerYen: wholeNumber(input.ratePerYen, 'ratePerYen', 1, 100_000) } : {}),
    },
  };
}

function policyOf(doc: PolicyRevisionDoc): PointsPolicy {
  return {
    ...pick(doc, POLICY_FIELDS),
    // before ONLINE had its own window, pendingDays applied to every purchase
    onlinePendingDays: doc.onlinePendingDays ?? doc.pendingDays,
    channelRates: doc.channelRates.map((rate) => pick(rate, ['channel', 'ratePoints', 'ratePerYen'])),
    tiers: doc.tiers.map((rule) => pick(rule, ['tier', 'minSpend', 'multiplierPercent'])),
  };
}

function storeRateOf(doc: StoreRateRevisionDoc): StoreEarnRate | null {
  if (doc.ratePoints === null || doc.ratePerYen === null) return null;
  return { storeId: doc.storeId, ratePoints: doc.ratePoints, ratePerYen: doc.ratePerYen, startsAt: doc.startsAt, endsAt: doc.endsAt };
}

/**
 * Earn rates, point policy and campaigns: data staff change at run time. Every rule is an append-only series of
 * revisions under a unique (rule, revision) index, like the points ledger: a change reads the head revision,
 * computes the next one and inserts it; E11000 means another change got there first, so it is recomputed on top.
 * Each revision carries its own audit record (who, when, which fields, before and after), so one insert both
 * changes the rule and audits it: no transaction, no window where one exists without the other.
 */
export class RulesService {
  constructor(
    private readonly models: RuleModels,
    private readonly clock: () => Date,
  ) {}

  async getPolicy(): Promise<PointsPolicy> {
    return (await this.policyHead()).policy;
  }

  /**
   * The policy as it stood at `at`: the latest revision made by then (the defaults before any). A purchase reaching
   * points late (an offline register) earns what it would have earned on time.
   */
  async policyAt(at: Date): Promise<PointsPolicy> {
    const revision = await this.models.policies.findOne({ 'change.at': { $lte: at } }).sort({ _id: -1 }).lean<PolicyRevisionDoc>();
    return revision ? policyOf(revision) : defaultPolicy();
  }

  /** Staff and POS keys. */
  async earnRules(caller: Caller): Promise<EarnRules> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff' && actor.kind !== 'pos') throw new ForbiddenError('Staff and POS keys only');
    return this.currentEarnRules();
  }

  /** The store's own rate, whatever its window, as set by `madeBy` (default: now); null when it had none. */
  async storeRate(storeId: string, madeBy?: Date): Promise<StoreEarnRate | null> {
    const filter = madeBy ? { storeId, 'change.at': { $lte: madeBy } } : { storeId };
    const head = await this.models.storeRates.findOne(filter).sort({ revision: -1 }).lean<StoreRateRevisionDoc>();
    return head ? storeRateOf(head) : null;
  }

  /**
   * Campaigns whose window contains `at` (start inclusive, end exclusive), in two queries whatever their number;
   * with `madeBy`, as they stood then (revisions made later, and campaigns created later, do not count).
   */
  async activeCampaigns(at: Date, madeBy?: Date): Promise<CampaignDoc[]> {
    const known = madeBy ? { 'change.at': { $lte: madeBy } } : {};
    // A revision whose window contains `at` counts only if no later (known) revision of its campaign replaced it.
    const candidates = await this.models.campaigns.find({ startsAt: { $lte: at }, endsAt: { $gt: at }, ...known }).lean<CampaignDoc[]>();
    if (!candidates.length) return [];
    const ids = [...new Map(candidates.map((c) => [c.campaignId.toHexString(), c.campaignId])).values()];
    const revisions = await this.models.campaigns
      .find({ campaignId: { $in: ids }, ...known }, { campaignId: 1, revision: 1 })
      .lean<Pick<CampaignDoc, 'campaignId' | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: r.campaignId.toHexString(), revision: r.revision })),
      (c) => c.campaignId.toHexString(),
      (c) => c.revision,
    ).sort(byStartThenId);
  }

  /** Staff: campaigns active at `activeAt` (default now), or every campaign when `all` is set without a moment. */
  async campaigns(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<CampaignDoc[]> {
    requireStaff(caller);
    if (options.all && !options.activeAt) return this.allCampaigns();
    return this.activeCampaigns(options.activeAt ? validDate(options.activeAt, 'activeAt') : this.clock());
  }

  async createCampaign(caller: Caller, input: CreateCampaignInput): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const now = this.clock();
    const kind = oneOf(input.kind, ['MULTIPLIER', 'FIXED_BONUS'] as const, 'kind');
    const fields: CampaignFields = {
      name: campaignName(input.name),
      kind,
      ...kindFields(kind, input.multiplierPercent, input.bonusPoints),
      minAmount: minAmount(input.minAmount ?? 0),
      storeIds: storeIdList(input.storeIds ?? []),
      channels: channelList(input.channels ?? []),
      tiers: tierList(input.tiers ?? []),
      startsAt: validDate(input.startsAt, 'startsAt'),
      endsAt: validDate(input.endsAt, 'endsAt'),
    };
    assertWindow(fields.startsAt, fields.endsAt);
    assertFuture(fields.endsAt, now);
    const created = await this.models.campaigns.create({
      campaignId: new Types.ObjectId(),
      revision: 1,
      ...fields,
      createdAt: now,
      change: { actor, at: now, action: 'CREATE_CAMPAIGN', changes: diff(null, fields, CAMPAIGN_FIELDS) },
    });
    return created.toObject();
  }

  /** Staff: omitted (or null) fields stay as they are; a campaign that is over cannot change. */
  async updateCampaign(caller: Caller, id: string, input: UpdateCampaignInput): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const campaignId = objectIdString(id, 'id');
    const patch: Partial<CampaignFields> = {};
    if (isGiven(input.name)) patch.name = campaignName(input.name);
    if (isGiven(input.multiplierPercent)) patch.multiplierPercent = multiplier(input.multiplierPercent);
    if (isGiven(input.bonusPoints)) patch.bonusPoints = bonus(input.bonusPoints);
    if (isGiven(input.minAmount)) patch.minAmount = minAmount(input.minAmount);
    if (isGiven(input.storeIds)) patch.storeIds = storeIdList(input.storeIds);
    if (isGiven(input.channels)) patch.channels = channelList(input.channels);
    if (isGiven(input.tiers)) patch.tiers = tierList(input.tiers);
    if (isGiven(input.startsAt)) patch.startsAt = validDate(input.startsAt, 'startsAt');
    if (isGiven(input.endsAt)) patch.endsAt = validDate(input.endsAt, 'endsAt');

    return retryOnClash(async () => {
      const head = await this.campaignHead(campaignId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) throw new BadUserInputError('This campaign is over; create a new one', { field: 'id' });
      const before = pick(head, CAMPAIGN_FIELDS);
      const after: CampaignFields = {
        ...before,
        ...patch,
        ...kindFields(head.kind, patch.multiplierPercent ?? before.multiplierPercent, patch.bonusPoints ?? before.bonusPoints),
      };
      assertWindow(after.startsAt, after.endsAt);
      if (patch.endsAt) assertFuture(after.endsAt, now);
      return this.appendCampaign(head, after, actor, 'UPDATE_CAMPAIGN', now);
    });
  }

  /** Staff: ends a campaign now; one that is already over is returned unchanged, one not started yet never starts. */
  async endCampaign(caller: Caller, id: string): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const campaignId = objectIdString(id, 'id');
    return retryOnClash(async () => {
      const head = await this.campaignHead(campaignId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) return head;
      const startsAt = head.startsAt.getTime() > now.getTime() ? now : head.startsAt;
      return this.appendCampaign(head, { ...pick(head, CAMPAIGN_FIELDS), startsAt, endsAt: now }, actor, 'END_CAMPAIGN', now);
    });
  }

  /** Staff: sets a store's own rate, or removes it (ratePoints null) so the channel default applies again. */
  async setStoreEarnRate(caller: Caller, input: SetStoreEarnRateInput): Promise<EarnRules> {
    const actor = adminActor(caller);
    const storeId = objectIdString(input.storeId, 'storeId');
    const removing = !isGiven(input.ratePoints);
    if (removing) {
      const extra = (['ratePerYen', 'startsAt', 'endsAt'] as const).find((field) => isGiven(input[field]));
      if (extra) throw new BadUserInputError(`${extra} needs ratePoints (a null ratePoints removes the store rate)`, { field: extra });
    }
    const ratePoints = removing ? null : wholeNumber(input.ratePoints, 'ratePoints', 0, 1000);
    const ratePerYen = removing ? null : wholeNumber(input.ratePerYen ?? 100, 'ratePerYen', 1, 100_000);
    const startsAt = isGiven(input.startsAt) ? validDate(input.startsAt, 'startsAt') : null;
    const endsAt = isGiven(input.endsAt) ? validDate(input.endsAt, 'endsAt') : null;

    await retryOnClash(async () => {
      const now = this.clock();
      const after: StoreRateFields = removing ? REMOVED_STORE_RATE : { ratePoints, ratePerYen, startsAt: startsAt ?? now, endsAt };
      if (after.startsAt && after.endsAt) {
        assertWindow(after.startsAt, after.endsAt);
        assertFuture(after.endsAt, now);
      }
      const head = await this.models.storeRates.findOne({ storeId }).sort({ revision: -1 }).lean<StoreRateRevisionDoc>();
      const changes = diff(head ? pick(head, STORE_RATE_FIELDS) : REMOVED_STORE_RATE, after, STORE_RATE_FIELDS);
      if (!changes.length) return;
      await this.models.storeRates.create({
        storeId,
        revision: (head?.revision ?? 0) + 1,
        ...after,
        change: { actor, at: now, action: removing ? 'REMOVE_STORE_EARN_RATE' : 'SET_STORE_EARN_RATE', changes },
      });
    });
    return this.currentEarnRules();
  }

  /** Staff: replaces all four tier rules at once. */
  async setTierRules(caller: Caller, tiers: readonly TierRuleInput[]): Promise<EarnRules> {
    const actor = adminActor(caller);
    const rules = tierRules(tiers);
    await this.changePolicy(actor, 'SET_TIER_RULES', (policy) => ({ ...policy, tiers: rules }));
    return this.currentEarnRules();
  }

  /** Staff: changes what is given; a channel rate change keeps the part of the rate not given. */
  async setPointsPolicy(caller: Caller, input: SetPointsPolicyInput): Promise<EarnRules> {
    const actor = adminActor(caller);
    const { scalars, rate } = policyPatch(input);
    await this.changePolicy(actor, 'SET_POINTS_POLICY', (policy) => ({
      ...policy,
      ...scalars,
      channelRates: policy.channelRates.map((current) => (rate && current.channel === rate.channel ? { ...current, ...rate } : current)),
    }));
    return this.currentEarnRules();
  }

  private async policyHead(): Promise<{ revision: number; policy: PointsPolicy }> {
    const head = await this.models.policies.findOne().sort({ _id: -1 }).lean<PolicyRevisionDoc>();
    return head ? { revision: head._id, policy: policyOf(head) } : { revision: 0, policy: defaultPolicy() };
  }

  private async changePolicy(actor: string, action: RuleAction, change: (policy: PointsPolicy) => PointsPolicy): Promise<void> {
    await retryOnClash(async () => {
      const head = await this.policyHead();
      const after = change(head.policy);
      const changes = diff(head.policy, after, POLICY_FIELDS);
      if (!changes.length) return;
      await this.models.policies.create({ _id: head.revision + 1, ...after, change: { actor, at: this.clock(), action, changes } });
    });
  }

  private async currentEarnRules(): Promise<EarnRules> {
    const [policy, storeRates] = await Promise.all([this.getPolicy(), this.liveStoreRates()]);
    return { ...policy, storeRates };
  }

  /** Store rates set and not over yet, by store. */
  private async liveStoreRates(): Promise<StoreEarnRate[]> {
    const now = this.clock();
    const candidates = await this.models.storeRates
      .find({ ratePoints: { $ne: null }, $or: [{ endsAt: null }, { endsAt: { $gt: now } }] })
      .lean<StoreRateRevisionDoc[]>();
    if (!candidates.length) return [];
    const revisions = await this.models.storeRates
      .find({ storeId: { $in: [...new Set(candidates.map((c) => c.storeId))] } }, { storeId: 1, revision: 1 })
      .lean<Pick<StoreRateRevisionDoc, 'storeId' | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: r.storeId, revision: r.revision })),
      (c) => c.storeId,
      (c) => c.revision,
    )
      .map(storeRateOf)
      .filter(isGiven)
      .sort((a, b) => a.storeId.localeCompare(b.storeId));
  }

  private async allCampaigns(): Promise<CampaignDoc[]> {
    const revisions = await this.models.campaigns.find().lean<CampaignDoc[]>();
    const heads = new Map<string, CampaignDoc>();
    for (const doc of revisions) {
      const key = doc.campaignId.toHexString();
      if ((heads.get(key)?.revision ?? 0) < doc.revision) heads.set(key, doc);
    }
    return [...heads.values()].sort(byStartThenId);
  }

  private async campaignHead(campaignId: string): Promise<CampaignDoc> {
    const head = await this.models.campaigns
      .findOne({ campaignId: new Types.ObjectId(campaignId) })
      .sort({ revision: -1 })
      .lean<CampaignDoc>();
    if (!head) throw new NotFoundError('Campaign');
    return head;
  }

  private async appendCampaign(head: CampaignDoc, after: CampaignFields, actor: string, action: RuleAction, now: Date): Promise<CampaignDoc> {
    const changes = diff(pick(head, CAMPAIGN_FIELDS), after, CAMPAIGN_FIELDS);
    if (!changes.length) return head;
    const created = await this.models.campaigns.create({
      campaignId: head.campaignId,
      revision: head.revision + 1,
      ...after,
      createdAt: head.createdAt,
      change: { actor, at: now, action, changes },
    });
    return created.toObject();
  }
}
