import type { EarnBreakdown } from './earn-calculator';
import type { LineEarn } from './item-rule-earn';

/** Units of each sku refunded so far on a purchase (purchases' refundedQuantitiesAfter). */
export type RefundedQuantities = Readonly<Record<string, number>>;

/** What the units refunded so far take back of a purchase's earn, in total (docs/item-rules.md step 6). */
export interface LineRefundTarget {
  points: number;
  /** The tier spend: the refunded units' part of the shares of lines not excluded. */
  spend: number;
}

/**
 * Each breakdown line's refunded units. A sku on several lines has its units dealt to them in order, each filled
 * up to its quantity, as purchases counts them against the sku's lines.
 */
function unitsPerLine(lines: readonly LineEarn[], refunded: RefundedQuantities): number[] {
  const left = new Map(Object.entries(refunded));
  return lines.map((line) => {
    const units = Math.min(Math.max(left.get(line.sku) ?? 0, 0), line.quantity);
    left.set(line.sku, (left.get(line.sku) ?? 0) - units);
    return units;
  });
}

/**
 * What the units refunded so far take back in total, by the lines returned rather than by their yen: a line's
 * rounded points × refunded ÷ quantity (floored), its item bonus per unit exactly, and of the campaigns' bonus
 * (one per purchase, no line's) the refunded part of the earning yen. Cumulative, so the refunds of one line in
 * several pieces add up to what one refund of it takes (the second takes what the first left), and every unit
 * back takes back exactly what the purchase earned and counted. Null: the breakdown has no lines (an entry from
 * before item rules), which refunds take back by the yen.
 */
export function lineRefundTarget(breakdown: EarnBreakdown | null | undefined, refunded: RefundedQuantities): LineRefundTarget | null {
  const lines = breakdown?.lines;
  if (!breakdown || !lines?.length) return null;
  const units = unitsPerLine(lines, refunded);
  let points = 0n;
  let spend = 0n;
  lines.forEach((line, i) => {
    const back = BigInt(units[i] ?? 0);
    const quantity = BigInt(line.quantity);
    const rounded = BigInt(line.points - line.bonusPoints);
    points += (rounded * back) / quantity + (BigInt(line.bonusPoints) / quantity) * back;
    if (line.rule !== 'EXCLUDED') spend += (BigInt(line.amount) * back) / quantity;
  });
  const earning = BigInt(breakdown.earningAmount ?? breakdown.amount);
  if (earning > 0n) points += (BigInt(breakdown.bonusPoints) * spend) / earning;
  return { points: Number(points), spend: Number(spend) };
}

/** The units refunded before a refund: after it, less its own lines. */
export function quantitiesBefore(after: RefundedQuantities, refundLines: readonly { sku: string; quantity: number }[]): Record<string, number> {
  const before: Record<string, number> = { ...after };
  for (const line of refundLines) before[line.sku] = Math.max(0, (before[line.sku] ?? 0) - line.quantity);
  return before;
}
