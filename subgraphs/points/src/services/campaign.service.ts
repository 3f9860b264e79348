import type { Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { CampaignDoc, CampaignFields, CampaignKind, CampaignModel } from '../models/campaign.model';
import { MAX_YEN, isGiven, oneOf, wholeNumber } from './rule-inputs';
import { ScopedRules, ruleName, ruleScope, ruleScopePatch, type RuleScopeInput } from './scoped-rules';

export interface CreateCampaignInput extends RuleScopeInput {
  kind: CampaignKind;
  multiplierPercent?: number | null;
  bonusPoints?: number | null;
  minAmount?: number | null;
}

export type UpdateCampaignInput = { [K in Exclude<keyof CreateCampaignInput, 'kind'>]?: CreateCampaignInput[K] | null };

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

/** Campaigns: scoped rules (scoped-rules.ts) under the unique (campaignId, revision), each revision with its audit record. */
export class CampaignService {
  private readonly rules: ScopedRules<CampaignFields, 'campaignId', CampaignDoc>;

  constructor(campaigns: CampaignModel, clock: () => Date) {
    this.rules = new ScopedRules<CampaignFields, 'campaignId', CampaignDoc>(campaigns, clock, {
      idField: 'campaignId',
      fields: CAMPAIGN_FIELDS,
      label: 'Campaign',
      overMessage: 'This campaign is over; create a new one',
      actions: { create: 'CREATE_CAMPAIGN', update: 'UPDATE_CAMPAIGN', end: 'END_CAMPAIGN' },
    });
  }

  /** Campaigns whose window contains `at`; with `madeBy`, as they stood then (scoped-rules.ts). */
  activeCampaigns(at: Date, madeBy?: Date): Promise<CampaignDoc[]> {
    return this.rules.active(at, madeBy);
  }

  /** Staff: campaigns active at `activeAt` (default now), or every campaign when `all` is set without a moment. */
  list(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<CampaignDoc[]> {
    return this.rules.list(caller, options);
  }

  /** Staff: one campaign as it stands now, null when there is none (the Campaign entity's reference). */
  byId(caller: Caller, id: string): Promise<CampaignDoc | null> {
    return this.rules.byId(caller, id);
  }

  createCampaign(caller: Caller, input: CreateCampaignInput): Promise<CampaignDoc> {
    return this.rules.create(caller, () => {
      const kind = oneOf(input.kind, ['MULTIPLIER', 'FIXED_BONUS'] as const, 'kind');
      return {
        name: ruleName(input.name),
        kind,
        ...kindFields(kind, input.multiplierPercent, input.bonusPoints),
        minAmount: minAmount(input.minAmount ?? 0),
        ...ruleScope(input),
      };
    });
  }

  /** Admin: omitted (or null) fields stay as they are; a campaign that is over cannot change. */
  updateCampaign(caller: Caller, id: string, input: UpdateCampaignInput): Promise<CampaignDoc> {
    return this.rules.update(
      caller,
      id,
      () => {
        const patch: Partial<CampaignFields> = {};
        if (isGiven(input.name)) patch.name = ruleName(input.name);
        if (isGiven(input.multiplierPercent)) patch.multiplierPercent = multiplier(input.multiplierPercent);
        if (isGiven(input.bonusPoints)) patch.bonusPoints = bonus(input.bonusPoints);
        if (isGiven(input.minAmount)) patch.minAmount = minAmount(input.minAmount);
        return { ...patch, ...ruleScopePatch(input) };
      },
      (head, merged) => kindFields(head.kind, merged.multiplierPercent, merged.bonusPoints),
    );
  }

  /** Admin: ends a campaign now; one that is already over is returned unchanged, one not started yet never starts. */
  endCampaign(caller: Caller, id: string): Promise<CampaignDoc> {
    return this.rules.end(caller, id);
  }
}
