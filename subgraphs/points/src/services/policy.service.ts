import { type Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import { CHANNELS, type Channel, type ExpiryMode, type PointsPolicy, type PolicyRevisionDoc, type PolicyRevisionModel, type Rounding } from '../models/points-policy.model';
import type { RuleAction } from '../models/rule-change.schema';
import { POLICY_FIELDS, defaultPolicy, policyOf } from './points-policy';
import { categoryList } from './item-rule-match';
import { isGiven, oneOf, wholeNumber } from './rule-inputs';
import { adminActor, diff, insertRevision, retryOnClash } from './rule-revisions';
import { tierRules, type TierRuleInput } from './tier-rules';

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
  birthdayBonusPoints?: number | null;
  tierWindowDays?: number | null;
  excludedCategories?: readonly string[] | null;
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
  if (isGiven(input.birthdayBonusPoints)) scalars.birthdayBonusPoints = wholeNumber(input.birthdayBonusPoints, 'birthdayBonusPoints', 0, 100_000);
  if (isGiven(input.tierWindowDays)) scalars.tierWindowDays = wholeNumber(input.tierWindowDays, 'tierWindowDays', 1, 1095);
  if (isGiven(input.excludedCategories)) scalars.excludedCategories = categoryList(input.excludedCategories, 'excludedCategories');

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

/** Where the policy is read from: the service, or one settlement's single read of it (PolicyService.view). */
export interface PolicySource {
  /** The policy in force now. */
  getPolicy(): Promise<PointsPolicy>;
  /** The policy as it stood at `at`. */
  policyAt(at: Date): Promise<PointsPolicy>;
}

/**
 * The policy as one read of its head revision found it. The head is the policy at any time since it was made, so
 * it answers a sale's tier, its earn, its lot and its tier change alike; only a time before it (a sale dated
 * before the latest change) is read again, as PolicyService.policyAt reads it. A change made after the read is
 * seen by the next settlement, as if this one had run a moment earlier.
 */
class PolicyView implements PolicySource {
  private readonly policy: PointsPolicy;

  constructor(
    private readonly head: PolicyRevisionDoc | null,
    private readonly service: PolicyService,
  ) {
    this.policy = head ? policyOf(head) : defaultPolicy();
  }

  getPolicy(): Promise<PointsPolicy> {
    return Promise.resolve(this.policy);
  }

  policyAt(at: Date): Promise<PointsPolicy> {
    return !this.head || this.head.change.at.getTime() <= at.getTime() ? this.getPolicy() : this.service.policyAt(at);
  }
}

/**
 * The points policy (channel rates, tier rules, rounding, return windows, expiry, sign-up and birthday bonuses):
 * revisions numbered by `_id`, each with its audit record (rule-revisions.ts).
 */
export class PolicyService implements PolicySource {
  constructor(
    private readonly policies: PolicyRevisionModel,
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
    const revision = await this.policies.findOne({ 'change.at': { $lte: at } }).sort({ _id: -1 }).lean<PolicyRevisionDoc>();
    return revision ? policyOf(revision) : defaultPolicy();
  }

  /** The policy read once, for the several steps of one settlement that each need it. */
  async view(): Promise<PolicySource> {
    return new PolicyView(await this.headRevision(), this);
  }

  /** Staff: replaces all four tier rules at once. */
  async setTierRules(caller: Caller, tiers: readonly TierRuleInput[]): Promise<void> {
    const actor = adminActor(caller);
    const rules = tierRules(tiers);
    await this.changePolicy(actor, 'SET_TIER_RULES', (policy) => ({ ...policy, tiers: rules }));
  }

  /** Staff: changes what is given; a channel rate change keeps the part of the rate not given. */
  async setPointsPolicy(caller: Caller, input: SetPointsPolicyInput): Promise<void> {
    const actor = adminActor(caller);
    const { scalars, rate } = policyPatch(input);
    await this.changePolicy(actor, 'SET_POINTS_POLICY', (policy) => ({
      ...policy,
      ...scalars,
      channelRates: policy.channelRates.map((current) => (rate && current.channel === rate.channel ? { ...current, ...rate } : current)),
    }));
  }

  private async policyHead(): Promise<{ revision: number; policy: PointsPolicy }> {
    const head = await this.headRevision();
    return head ? { revision: head._id, policy: policyOf(head) } : { revision: 0, policy: defaultPolicy() };
  }

  private headRevision(): Promise<PolicyRevisionDoc | null> {
    return this.policies.findOne().sort({ _id: -1 }).lean<PolicyRevisionDoc>().exec();
  }

  private async changePolicy(actor: string, action: RuleAction, change: (policy: PointsPolicy) => PointsPolicy): Promise<void> {
    await retryOnClash(async () => {
      const head = await this.policyHead();
      const after = change(head.policy);
      const changes = diff(head.policy, after, POLICY_FIELDS);
      if (!changes.length) return;
      return insertRevision(this.policies, { _id: head.revision + 1, ...after, change: { actor, at: this.clock(), action, changes } }, undefined);
    });
  }
}
