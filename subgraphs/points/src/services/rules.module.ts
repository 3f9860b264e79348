import type { Connection } from 'mongoose';
import { campaignModel, type CampaignModel } from '../models/campaign.model';
import { itemRuleModel, type ItemRuleModel } from '../models/item-rule.model';
import { policyRevisionModel, type PolicyRevisionModel } from '../models/points-policy.model';
import { qualifyingSpendModel, type QualifyingSpendModel } from '../models/qualifying-spend.model';
import { storeRateRevisionModel, type StoreRateRevisionModel } from '../models/store-earn-rate.model';
import { CampaignService } from './campaign.service';
import { EarnCalculator } from './earn-calculator';
import { ItemRuleService } from './item-rule.service';
import { PolicyService } from './policy.service';
import { RuleAudit } from './rule-audit';
import { StoreRateService } from './store-rate.service';
import { TierService } from './tier.service';

/** The rules staff change at run time, each its own service, and what computes from them (tiers, earnings). */
export interface RulesModule {
  policy: PolicyService;
  storeRates: StoreRateService;
  campaigns: CampaignService;
  itemRules: ItemRuleService;
  tiers: TierService;
  calculator: EarnCalculator;
  audit: RuleAudit;
}

export interface RulesModels {
  policies: PolicyRevisionModel;
  storeRates: StoreRateRevisionModel;
  campaigns: CampaignModel;
  itemRules: ItemRuleModel;
  spend: QualifyingSpendModel;
}

/** Registers the rules' models on the connection, so ensureIndexes(connection) creates their unique indexes. */
export function rulesModels(connection: Connection): RulesModels {
  return {
    policies: policyRevisionModel(connection),
    storeRates: storeRateRevisionModel(connection),
    campaigns: campaignModel(connection),
    itemRules: itemRuleModel(connection),
    spend: qualifyingSpendModel(connection),
  };
}

export function createRulesModule(connection: Connection, clock: () => Date): RulesModule {
  const models = rulesModels(connection);
  const policy = new PolicyService(models.policies, clock);
  const storeRates = new StoreRateService(models.storeRates, clock);
  const campaigns = new CampaignService(models.campaigns, clock);
  const itemRules = new ItemRuleService(models.itemRules, clock);
  const tiers = new TierService(models.spend, policy, clock);
  return { policy, storeRates, campaigns, itemRules, tiers, calculator: new EarnCalculator({ policy, storeRates, campaigns, itemRules }, tiers, clock), audit: new RuleAudit(models) };
}
