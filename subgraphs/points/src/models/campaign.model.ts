import type { Connection, Model, Types } from 'mongoose';
import { scopedRuleSchema, type RuleRevision, type RuleScope } from './scoped-rule.schema';

export type CampaignKind = 'MULTIPLIER' | 'FIXED_BONUS';

/** What staff set on a campaign. */
export interface CampaignFields extends RuleScope {
  kind: CampaignKind;
  multiplierPercent: number | null;
  bonusPoints: number | null;
  minAmount: number;
}

/** One revision of a campaign (lean), under the unique (campaignId, revision) index (scoped-rule.schema.ts). */
export interface CampaignDoc extends CampaignFields, RuleRevision {
  campaignId: Types.ObjectId;
}

const campaignSchema = scopedRuleSchema<CampaignDoc>('campaignId', {
  kind: { type: String, required: true, enum: ['MULTIPLIER', 'FIXED_BONUS'] },
  multiplierPercent: { type: Number, default: null },
  bonusPoints: { type: Number, default: null },
  minAmount: { type: Number, required: true },
});

export type CampaignModel = Model<CampaignDoc>;

export function campaignModel(connection: Connection): CampaignModel {
  return connection.model<CampaignDoc>('CampaignRevision', campaignSchema, 'campaign_revisions');
}
