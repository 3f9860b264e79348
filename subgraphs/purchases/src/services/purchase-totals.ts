import { MAX_YEN } from '@omo/lib/core/limits';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { PurchaseLineDoc } from '../models/purchase.model';
import type { RecordInput } from './purchase-inputs';

export interface PurchaseTotals {
  lines: PurchaseLineDoc[];
  subtotal: number;
  discount: number;
  pointsApplied: number;
}

/**
 * A purchase's lines and amounts, checked against each other: the register's `total` must be what its lines add
 * up to less the discount, so the amount points settle on is the one the lines say.
 */
export function totalsOf(input: RecordInput): PurchaseTotals {
  const lines: PurchaseLineDoc[] = input.lines.map((l) => ({ sku: l.sku, name: l.name, unitPrice: l.unitPrice, quantity: l.quantity, category: l.category ?? null }));
  if (new Set(lines.map((l) => l.sku)).size !== lines.length) throw new BadUserInputError('Each sku may appear on one line only', { field: 'lines' });
  const subtotal = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  // points settles nothing above this: accepted here, such a purchase could never complete
  if (subtotal > MAX_YEN) throw new BadUserInputError(`The lines add up to ${subtotal} yen, more than the ${MAX_YEN} a purchase may carry`, { field: 'lines' });
  const discount = input.discount ?? 0;
  if (discount > subtotal) throw new BadUserInputError('discount is more than the subtotal', { field: 'discount' });
  if (input.total !== subtotal - discount) {
    throw new BadUserInputError(`total ${input.total} does not match the lines: subtotal ${subtotal} − discount ${discount} = ${subtotal - discount}`, { field: 'total' });
  }
  const pointsApplied = input.pointsToRedeem ?? 0;
  if (pointsApplied > input.total) throw new BadUserInputError('pointsToRedeem is more than the total', { field: 'pointsToRedeem' });
  return { lines, subtotal, discount, pointsApplied };
}
