import type { RecordPurchaseInput } from '../../services/purchase-inputs';
import type { SmaregiTransaction, SmaregiTransactionDetail } from '../smaregi-api';

const MAX_LINE_NAME_LENGTH = 200;
/** transactionHeadDivision 1 通常: the only kind that is a sale (6/7/8 are our own point updates, 2-5 money in and out). */
const SALE_DIVISION = '1';
const RETURN_LINE = '2';
/** A detail line's salesDivision for what does not count as sales (gift certificates, deposits; UNCONFIRMED field on the platform). */
const NOT_SALES = '1';

/** A transaction that cannot become a purchase as Smaregi sent it; kept FAILED with this reason for staff. */
export class SmaregiTransactionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmaregiTransactionError';
  }
}

/** A sale as recordPurchase takes it (less the store and member, which need look-ups). */
export interface RegisterSale {
  lines: RecordPurchaseInput['lines'];
  discount: number;
  total: number;
  pointsToRedeem: number;
  occurredAt: Date;
  customerId: string | null;
  /** The receipt number (transactionUuid), else terminal-terminalTranId. */
  receipt: string;
  terminalId: string;
  terminalTranId: string;
}

export type TransactionKind =
  | { kind: 'not-a-sale'; division: string }
  | { kind: 'voided' }
  | { kind: 'undo'; originalId: string }
  | { kind: 'return'; lines: { sku: string; quantity: number }[]; customerId: string | null; occurredAt: Date }
  | { kind: 'sale' };

/**
 * What a transaction is. 取消 changes the record itself (cancelDivision 1); 返品取消 adds a negative record naming
 * the original (disposeDivision 2); a return is a new transaction whose lines are 返品 (transactionDetailDivision 2),
 * not linked to the sale it returns. A sale mixing returned and sold lines (an exchange) is left to staff.
 */
export function kindOf(tx: SmaregiTransaction): TransactionKind {
  if (tx.transactionHeadDivision !== SALE_DIVISION) return { kind: 'not-a-sale', division: tx.transactionHeadDivision };
  if (tx.cancelDivision === '1') return { kind: 'voided' };
  if (tx.disposeDivision === '2') {
    if (!tx.disposeServerTransactionHeadId) throw new SmaregiTransactionError('a 返品取消 record without disposeServerTransactionHeadId');
    return { kind: 'undo', originalId: tx.disposeServerTransactionHeadId };
  }
  const details = tx.details ?? [];
  if (details.length === 0) throw new SmaregiTransactionError('the transaction has no details (lines)');
  const returns = details.filter((d) => d.transactionDetailDivision === RETURN_LINE);
  if (returns.length === 0) return { kind: 'sale' };
  if (returns.length < details.length) throw new SmaregiTransactionError('a sale with returned lines (an exchange): record its parts by hand');
  const quantities = new Map<string, number>();
  for (const d of returns) quantities.set(skuOf(d), (quantities.get(skuOf(d)) ?? 0) + Math.abs(int(d.quantity, 'quantity')));
  return { kind: 'return', lines: [...quantities].map(([sku, quantity]) => ({ sku, quantity })), customerId: tx.customerId ?? null, occurredAt: occurredAtOf(tx) };
}

/**
 * A sale's lines and amounts. Lines at their selling price (salesPrice); the purchase's discount is everything
 * between those and the goods' total: each line's own discount (its price × quantity less unitDiscountedSum), the
 * subtotal discount and Smaregi's coupon discount. The goods' total is before points and what the register adds
 * on top (tax of a tax-exclusive store, rounding, commission, carriage), which earn nothing, as Shopify's shipping:
 * Smaregi's `total` has pointDiscount taken off and those added, so it is checked against the lines this way.
 * Points are spent one yen a point: a contract whose pointDiscount is not spendPoint is refused.
 */
export function mapSale(tx: SmaregiTransaction): RegisterSale {
  const details = (tx.details ?? []).filter((d) => d.transactionDetailDivision !== RETURN_LINE);
  // lines that are not sales (salesDivision 1: gift certificates, deposits) are paid at the register but are not
  // goods: kept out of the purchase's lines and of what earns, as what the register adds on top is
  const goodsLines = details.filter((d) => d.salesDivision !== NOT_SALES);
  const notSales = details.filter((d) => d.salesDivision === NOT_SALES).reduce((sum, d) => sum + lineTotalOf(d), 0);
  const lines = mapLines(goodsLines);
  const subtotal = int(tx.subtotal, 'subtotal');
  const lineTotals = details.reduce((sum, d) => sum + lineTotalOf(d), 0);
  if (lineTotals !== subtotal) throw new SmaregiTransactionError(`the lines add up to ${lineTotals}, not the subtotal ${subtotal}`);
  const goods = subtotal - notSales - int(tx.subtotalDiscountPrice, 'subtotalDiscountPrice') - int(tx.couponDiscount, 'couponDiscount');
  const pointDiscount = int(tx.pointDiscount, 'pointDiscount');
  const added = notSales + ['taxExclude', 'roundingPrice', 'commission', 'carriage'].reduce((sum, field) => sum + optionalInt(tx[field], field), 0);
  const total = int(tx.total, 'total');
  if (goods - pointDiscount + added !== total) {
    throw new SmaregiTransactionError(`total ${total} is not the goods ${goods} − pointDiscount ${pointDiscount} + tax, rounding, commission and carriage ${added}`);
  }
  const pointsToRedeem = int(tx.spendPoint, 'spendPoint');
  if (pointsToRedeem !== pointDiscount) throw new SmaregiTransactionError(`spendPoint ${pointsToRedeem} took ${pointDiscount} yen off: only 1 yen a point is supported`);
  const gross = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  if (goods < 0 || goods > gross) throw new SmaregiTransactionError(`the goods' total ${goods} is outside 0..${gross}`);
  return {
    lines,
    discount: gross - goods,
    total: goods,
    pointsToRedeem,
    occurredAt: occurredAtOf(tx),
    customerId: tx.customerId ?? null,
    receipt: tx.transactionUuid?.trim() || `${tx.terminalId}-${tx.terminalTranId}`,
    terminalId: tx.terminalId,
    terminalTranId: tx.terminalTranId,
  };
}

/** productCode as the sku, else the product id, else the line itself (a 部門売り, sold by department without a product). */
function skuOf(d: SmaregiTransactionDetail): string {
  const code = d.productCode?.trim();
  if (code) return code.slice(0, 64);
  return d.productId ? `product:${d.productId}` : `detail:${d.transactionDetailId}`;
}

/** The line after its own discounts: unitDiscountedSum, else (salesPrice − unitDiscountPrice a unit) × quantity. */
function lineTotalOf(d: SmaregiTransactionDetail): number {
  if (d.unitDiscountedSum != null) return int(d.unitDiscountedSum, 'unitDiscountedSum');
  return (int(d.salesPrice, 'salesPrice') - int(d.unitDiscountPrice, 'unitDiscountPrice')) * int(d.quantity, 'quantity');
}

/**
 * One purchase line per sku, as purchases requires: lines of one sku at one price are merged; at different prices
 * each keeps its own line under its detail id (as shopify-order.ts does with line item ids).
 */
function mapLines(details: SmaregiTransactionDetail[]): RecordPurchaseInput['lines'] {
  const priced = details.map((d) => ({ d, sku: skuOf(d), unitPrice: int(d.salesPrice, 'salesPrice'), quantity: int(d.quantity, 'quantity') }));
  const lines = new Map<string, RecordPurchaseInput['lines'][number]>();
  for (const { d, sku: code, unitPrice, quantity } of priced) {
    if (unitPrice < 0 || quantity <= 0) throw new SmaregiTransactionError(`line ${d.transactionDetailId} has price ${unitPrice} and quantity ${quantity}`);
    const clash = priced.some((other) => other.sku === code && other.unitPrice !== unitPrice);
    const sku = clash ? `detail:${d.transactionDetailId}` : code;
    const existing = lines.get(sku);
    if (existing) existing.quantity += quantity;
    else lines.set(sku, { sku, name: (d.productName?.trim() || sku).slice(0, MAX_LINE_NAME_LENGTH), unitPrice, quantity, category: d.categoryName ?? null });
  }
  return [...lines.values()];
}

/** When the sale happened at the register (terminalTranDateTime), not when the server received it. */
function occurredAtOf(tx: SmaregiTransaction): Date {
  const at = new Date(tx.terminalTranDateTime || tx.transactionDateTime);
  if (Number.isNaN(at.getTime())) throw new SmaregiTransactionError('the transaction has no terminalTranDateTime or transactionDateTime');
  return at;
}

/** Smaregi sends numbers as strings, "120" or "120.00": whole yen only. */
function int(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^-?\d+(\.0+)?$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new SmaregiTransactionError(`${field} ${JSON.stringify(value)} is not a whole number`);
  return n;
}

function optionalInt(value: unknown, field: string): number {
  return value == null ? 0 : int(value, field);
}
