import type { Connection } from 'mongoose';
import { campaignModel } from '../models/campaign.model';
import { policyRevisionModel } from '../models/points-policy.model';
import { qualifyingSpendModel, type QualifyingSpendModel } from '../models/qualifying-spend.model';
import { storeRateRevisionModel } from '../models/store-earn-rate.model';
import { EarnCalculator } from './earn-calculator';
import { RulesService, type RuleModels } from './rules.service';
import { TierService } from './tier.service';

export interface RulesModule {
  rules: RulesService;
  tiers: TierService;
  calculator: EarnCalculator;
}

export interface RulesModels extends RuleModels {
  spend: QualifyingSpendModel;
}

/** Registers the rules' models on the connection, so ensureIndexes(connection) creates their unique indexes. */
export function rulesModels(connection: Connection): RulesModels {
  return {
    policies: policyRevisionModel(connection),
    storeRates: storeRateRevisionModel(connection),
    campaigns: campaignModel(connection),
    spend: qualifyingSpendModel(connection),
  };
}

export function createRulesModule(connection: Connection, clock: () => Date): RulesModule {
  const models = rulesModels(connection);
  const rules = new RulesService(models, clock);
  const tiers = new TierService(models.spend, rules, clock);
  return { rules, tiers, calculator: new EarnCalculator(rules, tiers, clock) };
}
