import { Types } from 'mongoose';
import { BadUserInputError } from '@omo/lib/core/errors';
import { isObjectId } from '@omo/lib/core/validation';
import type { PurchaseDoc, PurchaseModel } from '../models/purchase.model';

export interface PurchasePage {
  nodes: PurchaseDoc[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * A page of purchases, newest first by a time field with the id breaking ties. The cursor is the last row's
 * `<time>|<id>`, so the next page starts right after it however many purchases arrive meanwhile.
 */
export async function pageOfPurchases(
  purchases: PurchaseModel,
  filter: Record<string, unknown>,
  by: 'occurredAt' | 'createdAt',
  page: { first: number; after?: string | null },
): Promise<PurchasePage> {
  const { first, after } = page;
  if (first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
  const query = { ...filter };
  if (after) {
    const { at, id } = decodeCursor(after);
    query.$or = [{ [by]: { $lt: at } }, { [by]: at, _id: { $lt: new Types.ObjectId(id) } }];
  }
  const rows = await purchases.find(query).sort({ [by]: -1, _id: -1 }).limit(first + 1).lean<PurchaseDoc[]>().exec();
  const nodes = rows.slice(0, first);
  const last = nodes.at(-1);
  return {
    nodes,
    hasNextPage: rows.length > first,
    endCursor: last ? Buffer.from(`${last[by].toISOString()}|${last._id.toHexString()}`).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || !isObjectId(id) || Number.isNaN(date.getTime())) throw new BadUserInputError('Invalid cursor', { field: 'after' });
  return { at: date, id };
}
