import type { Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import { ITEM_RULE_ACTIONS, type ItemRuleAction, type ItemRuleDoc, type ItemRuleFields, type ItemRuleModel } from '../models/item-rule.model';
import { MAX_MATCH_ITEMS, categoryList, matchText } from './item-rule-match';
import { isGiven, oneOf, uniqueList, wholeNumber } from './rule-inputs';
import { ScopedRules, ruleName, ruleScope, ruleScopePatch, type RuleScopeInput } from './scoped-rules';

export interface CreateItemRuleInput extends RuleScopeInput {
  action: ItemRuleAction;
  multiplierPercent?: number | null;
  bonusPointsPerUnit?: number | null;
  categories?: readonly string[] | null;
  skus?: readonly string[] | null;
}

export type UpdateItemRuleInput = { [K in Exclude<keyof CreateItemRuleInput, 'action'>]?: CreateItemRuleInput[K] | null };

const ITEM_RULE_FIELDS = [
  'name',
  'action',
  'multiplierPercent',
  'bonusPointsPerUnit',
  'categories',
  'skus',
  'storeIds',
  'channels',
  'tiers',
  'startsAt',
  'endsAt',
] as const satisfies readonly (keyof ItemRuleFields)[];

const skuList = (values: unknown) => uniqueList(values, 'skus', MAX_MATCH_ITEMS, (v) => matchText(v, 'skus', 64));
const multiplier = (value: unknown) => wholeNumber(value, 'multiplierPercent', 101, 10_000);
const bonus = (value: unknown) => wholeNumber(value, 'bonusPointsPerUnit', 1, 100_000);

/** The action's own field, and only its own. */
function actionFields(action: ItemRuleAction, multiplierPercent: unknown, bonusPointsPerUnit: unknown): Pick<ItemRuleFields, 'multiplierPercent' | 'bonusPointsPerUnit'> {
  if (action !== 'FIXED_BONUS' && isGiven(bonusPointsPerUnit)) throw new BadUserInputError('bonusPointsPerUnit is for FIXED_BONUS rules only', { field: 'bonusPointsPerUnit' });
  if (action !== 'MULTIPLIER' && isGiven(multiplierPercent)) throw new BadUserInputError('multiplierPercent is for MULTIPLIER rules only', { field: 'multiplierPercent' });
  if (action === 'MULTIPLIER') return { multiplierPercent: multiplier(multiplierPercent), bonusPointsPerUnit: null };
  if (action === 'FIXED_BONUS') return { multiplierPercent: null, bonusPointsPerUnit: bonus(bonusPointsPerUnit) };
  return { multiplierPercent: null, bonusPointsPerUnit: null };
}

function assertMatchesSomething(fields: Pick<ItemRuleFields, 'categories' | 'skus'>): void {
  if (!fields.categories.length && !fields.skus.length) throw new BadUserInputError('An item rule needs categories or skus to match', { field: 'categories' });
}

/** Item rules: scoped rules (scoped-rules.ts) under the unique (itemRuleId, revision), each revision with its audit record. */
export class ItemRuleService {
  private readonly rules: ScopedRules<ItemRuleFields, 'itemRuleId', ItemRuleDoc>;

  constructor(rules: ItemRuleModel, clock: () => Date) {
    this.rules = new ScopedRules<ItemRuleFields, 'itemRuleId', ItemRuleDoc>(rules, clock, {
      idField: 'itemRuleId',
      fields: ITEM_RULE_FIELDS,
      label: 'Item rule',
      overMessage: 'This item rule is over; create a new one',
      actions: { create: 'CREATE_ITEM_RULE', update: 'UPDATE_ITEM_RULE', end: 'END_ITEM_RULE' },
      check: assertMatchesSomething,
    });
  }

  /** Rules whose window contains `at`; with `madeBy`, as they stood then (scoped-rules.ts). */
  activeItemRules(at: Date, madeBy?: Date): Promise<ItemRuleDoc[]> {
    return this.rules.active(at, madeBy);
  }

  /** Staff: rules active at `activeAt` (default now), or every rule when `all` is set without a moment. */
  list(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<ItemRuleDoc[]> {
    return this.rules.list(caller, options);
  }

  create(caller: Caller, input: CreateItemRuleInput): Promise<ItemRuleDoc> {
    return this.rules.create(caller, () => {
      const action = oneOf(input.action, ITEM_RULE_ACTIONS, 'action');
      return {
        name: ruleName(input.name),
        action,
        ...actionFields(action, input.multiplierPercent, input.bonusPointsPerUnit),
        categories: categoryList(input.categories ?? []),
        skus: skuList(input.skus ?? []),
        ...ruleScope(input),
      };
    });
  }

  /** Omitted (or null) fields stay as they are; a rule that is over cannot change. */
  update(caller: Caller, id: string, input: UpdateItemRuleInput): Promise<ItemRuleDoc> {
    return this.rules.update(
      caller,
      id,
      () => {
        const patch: Partial<ItemRuleFields> = {};
        if (isGiven(input.name)) patch.name = ruleName(input.name);
        if (isGiven(input.categories)) patch.categories = categoryList(input.categories);
        if (isGiven(input.skus)) patch.skus = skuList(input.skus);
        return { ...patch, ...ruleScopePatch(input) };
      },
      // the action's fields are checked on the head they land on, as the action is the head's
      (head, merged) => actionFields(head.action, input.multiplierPercent ?? merged.multiplierPercent, input.bonusPointsPerUnit ?? merged.bonusPointsPerUnit),
    );
  }

  /** Ends a rule now; one already over is returned unchanged, one not started yet never starts. */
  end(caller: Caller, id: string): Promise<ItemRuleDoc> {
    return this.rules.end(caller, id);
  }
}
