import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { CHANNELS, TIERS, type Channel, type Tier } from './points-policy.model';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

export type CampaignKind = 'MULTIPLIER' | 'FIXED_BONUS';

/** What staff set on a campaign. */
export interface CampaignFields {
  name: string;
  kind: CampaignKind;
  multiplierPercent: number | null;
  bonusPoints: number | null;
  minAmount: number;
  storeIds: string[];
  channels: Channel[];
  tiers: Tier[];
  startsAt: Date;
  endsAt: Date;
}

/**
 * One revision of a campaign (lean); the campaign is its highest revision. Every change inserts the next revision
 * under the unique (campaignId, revision) index, so concurrent changes take turns and none is lost.
 */
export interface CampaignDoc extends CampaignFields {
  _id: Types.ObjectId;
  campaignId: Types.ObjectId;
  revision: number;
  createdAt: Date;
  change: RuleChange;
}

const campaignSchema = new Schema<CampaignDoc>(
  {
    campaignId: { type: Schema.Types.ObjectId, required: true },
    revision: { type: Number, required: true },
    name: { type: String, required: true },
    kind: { type: String, required: true, enum: ['MULTIPLIER', 'FIXED_BONUS'] },
    multiplierPercent: { type: Number, default: null },
    bonusPoints: { type: Number, default: null },
    minAmount: { type: Number, required: true },
    storeIds: { type: [String], default: [] },
    channels: { type: [{ type: String, enum: CHANNELS }], default: [] },
    tiers: { type: [{ type: String, enum: TIERS }], default: [] },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    change: { type: ruleChangeSchema, required: true },
  },
  { versionKey: false },
);
campaignSchema.index({ campaignId: 1, revision: 1 }, { unique: true });
campaignSchema.index({ endsAt: 1, startsAt: 1 });

export type CampaignModel = Model<CampaignDoc>;

export function campaignModel(connection: Connection): CampaignModel {
  return connection.model<CampaignDoc>('CampaignRevision', campaignSchema, 'campaign_revisions');
}
