import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { CHANNELS, TIERS, type Channel, type Tier } from './points-policy.model';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

/**
 * What an item rule does to the purchase lines it matches: MULTIPLIER (percent of the line's base points, like a
 * campaign's), FIXED_BONUS (points per unit of the line), EXCLUDE (the line earns nothing and is not tier spend).
 */
export type ItemRuleAction = 'MULTIPLIER' | 'FIXED_BONUS' | 'EXCLUDE';
export const ITEM_RULE_ACTIONS: readonly ItemRuleAction[] = ['MULTIPLIER', 'FIXED_BONUS', 'EXCLUDE'];

/** What staff set on an item rule. Categories are kept normalised (item-categories.ts); skus as the register sends them. */
export interface ItemRuleFields {
  name: string;
  action: ItemRuleAction;
  multiplierPercent: number | null;
  bonusPointsPerUnit: number | null;
  categories: string[];
  skus: string[];
  storeIds: string[];
  channels: Channel[];
  tiers: Tier[];
  startsAt: Date;
  endsAt: Date;
}

/**
 * One revision of an item rule (lean); the rule is its highest revision. Every change inserts the next revision
 * under the unique (itemRuleId, revision) index, as campaigns do, so concurrent changes take turns and none is lost.
 */
export interface ItemRuleDoc extends ItemRuleFields {
  _id: Types.ObjectId;
  itemRuleId: Types.ObjectId;
  revision: number;
  createdAt: Date;
  change: RuleChange;
}

const itemRuleSchema = new Schema<ItemRuleDoc>(
  {
    itemRuleId: { type: Schema.Types.ObjectId, required: true },
    revision: { type: Number, required: true },
    name: { type: String, required: true },
    action: { type: String, required: true, enum: ITEM_RULE_ACTIONS },
    multiplierPercent: { type: Number, default: null },
    bonusPointsPerUnit: { type: Number, default: null },
    categories: { type: [String], default: [] },
    skus: { type: [String], default: [] },
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
itemRuleSchema.index({ itemRuleId: 1, revision: 1 }, { unique: true });
itemRuleSchema.index({ endsAt: 1, startsAt: 1 });

export type ItemRuleModel = Model<ItemRuleDoc>;

export function itemRuleModel(connection: Connection): ItemRuleModel {
  return connection.model<ItemRuleDoc>('ItemRuleRevision', itemRuleSchema, 'item_rule_revisions');
}
