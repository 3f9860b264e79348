import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { ForbiddenError } from '@omo/lib/core/errors';
import type { PointsPolicy } from '../models/points-policy.model';
import type { PolicyService } from './policy.service';
import type { StoreEarnRate, StoreRateService } from './store-rate.service';

/** What a purchase earns by, as staff and registers see it: the policy and the store rates not over yet. */
export interface EarnRules extends PointsPolicy {
  storeRates: StoreEarnRate[];
}

/** The earn rules in force now. */
export async function currentEarnRules(rules: { policy: PolicyService; storeRates: StoreRateService }): Promise<EarnRules> {
  const [policy, storeRates] = await Promise.all([rules.policy.getPolicy(), rules.storeRates.liveStoreRates()]);
  return { ...policy, storeRates };
}

/** Staff and POS keys. */
export async function earnRulesFor(caller: Caller, rules: { policy: PolicyService; storeRates: StoreRateService }): Promise<EarnRules> {
  const actor = requireAuthenticated(caller);
  if (actor.kind !== 'staff' && actor.kind !== 'pos') throw new ForbiddenError('Staff and POS keys only');
  return currentEarnRules(rules);
}
