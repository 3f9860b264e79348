import { Types } from 'mongoose';
import { importBalancesSchema, pointsContract } from '@omo/lib/contracts/points';
import { RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { MembersModels } from '../../models';
import type { ImportTier } from './import-row';

/** The members outbox item type that sends a batch's imported balances and tiers to points. */
export const IMPORT_BALANCES_OUTBOX_TYPE = 'import-balances';

/** Members sent to points in one call: at 500 a call (one entry append each, before the batched insert) one outlasted the internal timeout on the bench; 250 new members take about 2 s there now. */
const MEMBERS_PER_CALL = 250;

/** What the item carries for each member of the batch it was written for (the points route's item). */
export interface ImportBalanceItem {
  memberId: string;
  key: string;
  lots: { points: number; expiresAt: string }[];
  tier: Exclude<ImportTier, 'REGULAR'> | null;
}

/**
 * The `import-balances` item, written by the import before the members of its batch are inserted: sends points the
 * balances of the batch's members that are stored. One not stored yet is waited for (RetryLater) while the item is
 * young, since its import may still be running; after that its run died before the member, and the run that
 * completes it writes an item of its own, so it is left out here. Points keys every write by the member's import
 * key, so a resent or overlapping item repeats nothing.
 */
export function importBalancesHandler(options: {
  models: MembersModels;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  abandonedAfterMs: number;
}): OutboxHandler {
  const points = internalClient(pointsContract, { directory: options.services, internalSecret: options.internalSecret, service: 'members' });
  return async (payload, item) => {
    const items = importBalancesSchema.shape.items.parse(payload.items);
    const stored = await options.models.members
      .find({ _id: { $in: items.map((entry) => new Types.ObjectId(entry.memberId)) } }, { _id: 1 })
      .lean<{ _id: Types.ObjectId }[]>()
      .exec();
    const present = new Set(stored.map((member) => member._id.toHexString()));
    const ready = items.filter((entry) => present.has(entry.memberId));
    if (ready.length < items.length && options.clock().getTime() - item.createdAt.getTime() < options.abandonedAfterMs) {
      throw new RetryLater('imported members not stored yet');
    }
    if (!ready.length) return { dropped: 'no member of the batch was stored' };
    const results = [];
    // a call per chunk, each well inside the internal client's timeout; a retry replays the chunks already written
    for (let start = 0; start < ready.length; start += MEMBERS_PER_CALL) {
      results.push(...(await points.importBalances({ items: ready.slice(start, start + MEMBERS_PER_CALL), actor: String(payload.actor) })).results);
    }
    return {
      members: results.length,
      points: results.reduce((sum, result) => sum + result.points, 0),
      expiredLots: results.reduce((sum, result) => sum + result.expiredLots, 0),
      leftOut: items.length - ready.length,
    };
  };
}
