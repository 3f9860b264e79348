import type { ItemRuleDoc } from '../models/item-rule.model';
import { normaliseCategory } from '@omo/lib/contracts/points';
import { byItemRuleId, itemRuleMatches, type EarnLine } from './item-rule-match';

/** How one line of a purchase earned: stored in the EARN entry's breakdown and shown by earnPreview. */
export interface LineEarn {
  sku: string;
  category: string | null;
  unitPrice: number;
  quantity: number;
  /** The line's share of the yen that earn (the earn amount pro-rated over the lines, shareOfAmount). */
  amount: number;
  /** The share × the earn rate, before multipliers and rounding, as a decimal string. */
  basePoints: string;
  /** What decided the line's points: EXCLUDED, an ITEM_RULE's multiplier, the purchase's CAMPAIGN, or NONE. */
  rule: 'EXCLUDED' | 'ITEM_RULE' | 'CAMPAIGN' | 'NONE';
  /** The multiplier applied besides the tier's, in percent (100 = none; 0 for an excluded line). */
  multiplierPercent: number;
  /** The item rules that applied to the line: its exclusion, its winning multiplier, its fixed bonuses. */
  itemRuleIds: string[];
  /** Points from item rules' fixed bonuses: each rule's points per unit × quantity. */
  bonusPoints: number;
  /** The line's points: its part of the purchase's rounded points plus its bonus points. */
  points: number;
}

/** What the item rules and the policy's exclusions make of one line, before any points are computed. */
export interface LinePlan {
  line: EarnLine;
  amount: number;
  /** 'POLICY' (its category is in the policy's excludedCategories), the EXCLUDE rule, or null: it earns. */
  excludedBy: 'POLICY' | ItemRuleDoc | null;
  multiplier: ItemRuleDoc | null;
  bonuses: ItemRuleDoc[];
}

/**
 * The earn amount pro-rated over the lines by their value (unit price × quantity), floored cumulatively: line i
 * gets floor(amount × value up to i ÷ subtotal) − floor(amount × value before i ÷ subtotal), so the shares add up
 * to the amount exactly and the discount and the redeemed points come off every line in proportion. The shares
 * are exact whatever the amount is (a register's amount above the lines' subtotal too): none is refused.
 */
export function shareOfAmount(lines: readonly EarnLine[], amount: number): number[] {
  const priced = lines.map((l) => BigInt(l.unitPrice) * BigInt(l.quantity));
  // lines all at 0 yen with an amount to earn (no register should send it): shared alike rather than refused
  const values = priced.some((v) => v > 0n) ? priced : priced.map(() => 1n);
  const subtotal = values.reduce((sum, v) => sum + v, 0n);
  let before = 0n;
  let cumulative = 0n;
  return values.map((value) => {
    cumulative += value;
    const upTo = (BigInt(amount) * cumulative) / subtotal;
    const share = upTo - before;
    before = upTo;
    return Number(share);
  });
}

/**
 * Each line's exclusion, multiplier rule and bonus rules among the item rules in force (already scoped to the
 * purchase). EXCLUDE wins over everything; otherwise the highest multiplier (the oldest rule of equals), and every
 * fixed bonus.
 */
export function planLines(lines: readonly EarnLine[], amount: number, rules: readonly ItemRuleDoc[], excludedCategories: readonly string[]): LinePlan[] {
  const shares = shareOfAmount(lines, amount);
  const ordered = [...rules].sort(byItemRuleId);
  return lines.map((line, i) => {
    const matching = ordered.filter((rule) => itemRuleMatches(rule, line));
    const category = line.category ? normaliseCategory(line.category) : null;
    const exclusion = matching.find((rule) => rule.action === 'EXCLUDE') ?? null;
    const excludedBy = category !== null && excludedCategories.includes(category) ? 'POLICY' : exclusion;
    const multiplier =
      matching
        .filter((rule) => rule.action === 'MULTIPLIER' && rule.multiplierPercent !== null)
        .sort((a, b) => (b.multiplierPercent ?? 0) - (a.multiplierPercent ?? 0))[0] ?? null;
    const bonuses = matching.filter((rule) => rule.action === 'FIXED_BONUS' && rule.bonusPointsPerUnit !== null);
    return excludedBy ? { line, amount: shares[i] ?? 0, excludedBy, multiplier: null, bonuses: [] } : { line, amount: shares[i] ?? 0, excludedBy, multiplier, bonuses };
  });
}
