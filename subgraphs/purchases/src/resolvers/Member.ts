import { Types } from 'mongoose';
import { BadUserInputError } from '@omo/lib/core/errors';
import { isObjectId } from '@omo/lib/core/validation';
import type { MemberResolvers } from '../__generated__/resolvers-types';
import type { PurchaseDoc } from '../models/purchase.model';
import { assertCanReadHistory } from '../services/purchase-access';

/** A reference to a member owned by the members service. */
export interface MemberRef {
  id: string;
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at ?? '');
  if (!id || !isObjectId(id) || Number.isNaN(date.getTime())) throw new BadUserInputError('Invalid cursor', { field: 'after' });
  return { at: date, id };
}

export const Member: MemberResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  purchases: async (member, { first, after, channel, storeId }, { caller, models }) => {
    assertCanReadHistory(caller, member.id);
    if (first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
    const filter: Record<string, unknown> = { memberId: member.id, state: { $ne: 'REJECTED' } };
    if (channel) filter.channel = channel;
    if (storeId) filter.storeId = storeId;
    if (after) {
      const { at, id } = decodeCursor(after);
      filter.$or = [{ occurredAt: { $lt: at } }, { occurredAt: at, _id: { $lt: new Types.ObjectId(id) } }];
    }
    const rows = await models.purchases.find(filter).sort({ occurredAt: -1, _id: -1 }).limit(first + 1).lean<PurchaseDoc[]>().exec();
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return {
      nodes,
      hasNextPage: rows.length > first,
      endCursor: last ? Buffer.from(`${last.occurredAt.toISOString()}|${last._id.toHexString()}`).toString('base64url') : null,
    };
  },
  purchaseSummary: async (member, _args, { caller, loaders }) => {
    assertCanReadHistory(caller, member.id);
    return loaders.statsByMemberId.load(member.id);
  },
};
