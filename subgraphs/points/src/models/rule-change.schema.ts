import { Schema } from 'mongoose';

export type RuleAction =
  | 'SET_POINTS_POLICY'
  | 'SET_TIER_RULES'
  | 'SET_STORE_EARN_RATE'
  | 'REMOVE_STORE_EARN_RATE'
  | 'CREATE_CAMPAIGN'
  | 'UPDATE_CAMPAIGN'
  | 'END_CAMPAIGN'
  | 'CREATE_ITEM_RULE'
  | 'UPDATE_ITEM_RULE'
  | 'END_ITEM_RULE'
  | 'CREATE_REWARD'
  | 'UPDATE_REWARD';

/** One field a rule change touched, with its value before (null when the rule was created) and after. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * The audit record of a rule revision: who changed what, when. It is stored inside the revision it describes, so
 * the change and its audit are one insert: neither can exist without the other, whatever crashes.
 */
export interface RuleChange {
  actor: string;
  at: Date;
  action: RuleAction;
  changes: FieldChange[];
}

const fieldChangeSchema = new Schema<FieldChange>(
  {
    field: { type: String, required: true },
    before: { type: Schema.Types.Mixed, default: null },
    after: { type: Schema.Types.Mixed, default: null },
  },
  { _id: false },
);

export const ruleChangeSchema = new Schema<RuleChange>(
  {
    actor: { type: String, required: true },
    at: { type: Date, required: true },
    action: { type: String, required: true },
    changes: { type: [fieldChangeSchema], required: true },
  },
  { _id: false },
);
