import { BadUserInputError } from '@omo/lib/core/errors';
import { TIERS, type Tier, type TierRule } from '../models/points-policy.model';
import { MAX_INT, wholeNumber } from './rule-inputs';

export interface TierRuleInput {
  tier: Tier;
  minSpend: number;
  multiplierPercent: number;
}

/** The four tier rules, lowest first whatever order they are given in: REGULAR from 0, each above the one below. */
export function tierRules(input: readonly TierRuleInput[]): TierRule[] {
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
