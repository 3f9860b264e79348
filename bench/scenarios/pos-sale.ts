import { PRODUCTS, memberCodeOf, ordinaryMemberIndex, type DatasetOptions } from '../seed/dataset';

/** One sale at a register, as recordPurchase's input takes it. */
export interface PosSale {
  idempotencyKey: string;
  storeId: string;
  memberCode: string;
  lines: { sku: string; name: string; unitPrice: number; quantity: number }[];
  total: number;
}

/**
 * A register's sale of one product to a random ordinary member of the data set, at a random store: what scenario 2
 * sends through the gateway and what its bare run writes, drawn alike so that both write the same kind of sale.
 */
export function randomSale(random: () => number, dataset: DatasetOptions, storeIds: string[], idempotencyKey: string): PosSale {
  const product = PRODUCTS[Math.floor(random() * PRODUCTS.length)] ?? PRODUCTS[0];
  const quantity = 1 + Math.floor(random() * 3);
  return {
    idempotencyKey,
    storeId: storeIds[Math.floor(random() * storeIds.length)] as string,
    memberCode: memberCodeOf(ordinaryMemberIndex(Math.floor(random() * dataset.members))),
    lines: [{ sku: product.sku, name: product.name, unitPrice: product.unitPrice, quantity }],
    total: product.unitPrice * quantity,
  };
}
