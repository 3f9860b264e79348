import { normaliseCategory } from '@omo/lib/contracts/points';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { ItemRuleDoc } from '../models/item-rule.model';
import type { Channel, Tier } from '../models/points-policy.model';
import { uniqueList } from './rule-inputs';

/** Categories or skus one rule (or the policy's exclusions) may list. */
export const MAX_MATCH_ITEMS = 200;

/** A purchase line as the settlement and earnPreview receive it. */
export interface EarnLine {
  sku: string;
  category?: string | null;
  unitPrice: number;
  quantity: number;
}

/** Where and when a purchase was made, and by whom: what an item rule's scope is checked against. */
export interface ItemRuleScope {
  storeId: string;
  channel: Channel;
  tier: Tier;
  at: Date;
}

/** A category or sku as a register sends it: 1-100 (categories) or 1-64 (skus) characters once trimmed. */
export function matchText(value: unknown, field: string, maxLength: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length < 1 || text.length > maxLength) throw new BadUserInputError(`${field} must each be 1-${maxLength} characters`, { field });
  return text;
}

/** A list of categories as staff give it, normalised and without duplicates. */
export function categoryList(values: unknown, field = 'categories'): string[] {
  return uniqueList(values, field, MAX_MATCH_ITEMS, (v) => normaliseCategory(matchText(v, field, 100)));
}

/** Whether an item rule is in force for a purchase: inside its window (start inclusive, end exclusive) and its scope. */
export function itemRuleInScope(rule: ItemRuleDoc, scope: ItemRuleScope): boolean {
  const at = scope.at.getTime();
  return (
    rule.startsAt.getTime() <= at &&
    at < rule.endsAt.getTime() &&
    (!rule.storeIds.length || rule.storeIds.includes(scope.storeId)) &&
    (!rule.channels.length || rule.channels.includes(scope.channel)) &&
    (!rule.tiers.length || rule.tiers.includes(scope.tier))
  );
}

/** A line matches a rule whose categories hold the line's category, or whose skus hold the line's sku. */
export function itemRuleMatches(rule: ItemRuleDoc, line: EarnLine): boolean {
  const category = line.category ? normaliseCategory(line.category) : null;
  return (category !== null && rule.categories.includes(category)) || rule.skus.includes(line.sku);
}

/** Oldest rule id first, so that which of two equal rules is named never flips. */
export function byItemRuleId(a: ItemRuleDoc, b: ItemRuleDoc): number {
  return a.itemRuleId.toHexString().localeCompare(b.itemRuleId.toHexString());
}
