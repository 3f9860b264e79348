import type { Connection, Model, Types } from 'mongoose';
import { scopedRuleSchema, type RuleRevision, type RuleScope } from './scoped-rule.schema';

/**
 * What an item rule does to the purchase lines it matches: MULTIPLIER (percent of the line's base points, like a
 * campaign's), FIXED_BONUS (points per unit of the line), EXCLUDE (the line earns nothing and is not tier spend).
 */
export type ItemRuleAction = 'MULTIPLIER' | 'FIXED_BONUS' | 'EXCLUDE';
export const ITEM_RULE_ACTIONS: readonly ItemRuleAction[] = ['MULTIPLIER', 'FIXED_BONUS', 'EXCLUDE'];

/** What staff set on an item rule. Categories are kept normalised (item-categories.ts); skus as the register sends them. */
export interface ItemRuleFields extends RuleScope {
  action: ItemRuleAction;
  multiplierPercent: number | null;
  bonusPointsPerUnit: number | null;
  categories: string[];
  skus: string[];
}

/** One revision of an item rule (lean), under the unique (itemRuleId, revision) index, as campaigns (scoped-rule.schema.ts). */
export interface ItemRuleDoc extends ItemRuleFields, RuleRevision {
  itemRuleId: Types.ObjectId;
}

const itemRuleSchema = scopedRuleSchema<ItemRuleDoc>('itemRuleId', {
  action: { type: String, required: true, enum: ITEM_RULE_ACTIONS },
  multiplierPercent: { type: Number, default: null },
  bonusPointsPerUnit: { type: Number, default: null },
  categories: { type: [String], default: [] },
  skus: { type: [String], default: [] },
});

export type ItemRuleModel = Model<ItemRuleDoc>;

export function itemRuleModel(connection: Connection): ItemRuleModel {
  return connection.model<ItemRuleDoc>('ItemRuleRevision', itemRuleSchema, 'item_rule_revisions');
}
