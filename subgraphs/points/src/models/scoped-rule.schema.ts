import { Schema, type SchemaDefinition, type Types } from 'mongoose';
import { CHANNELS, TIERS, type Channel, type Tier } from './points-policy.model';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

/**
 * What every scoped rule (a campaign, an item rule) has besides what it does: its name, where it applies (stores,
 * channels and tiers, each empty for all) and its window (start inclusive, end exclusive).
 */
export interface RuleScope {
  name: string;
  storeIds: string[];
  channels: Channel[];
  tiers: Tier[];
  startsAt: Date;
  endsAt: Date;
}

/**
 * One revision of a scoped rule (lean); the rule is its highest revision. Every change inserts the next revision
 * under the unique (rule id, revision) index, so concurrent changes take turns and none is lost; the revision
 * carries its own audit record, so the change and its audit are one insert.
 */
export interface RuleRevision {
  _id: Types.ObjectId;
  revision: number;
  createdAt: Date;
  change: RuleChange;
}

/**
 * A scoped rule's revisions schema: the rule's id field, then `own` (what the rule does), between its name and its
 * scope, with the unique (id, revision) index and the window index the active-rule query reads.
 */
export function scopedRuleSchema<Doc extends RuleScope & RuleRevision>(idField: string, own: SchemaDefinition): Schema<Doc> {
  const schema = new Schema<Doc>(
    {
      [idField]: { type: Schema.Types.ObjectId, required: true },
      revision: { type: Number, required: true },
      name: { type: String, required: true },
      ...own,
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
  schema.index({ [idField]: 1, revision: 1 }, { unique: true });
  schema.index({ endsAt: 1, startsAt: 1 });
  return schema;
}
