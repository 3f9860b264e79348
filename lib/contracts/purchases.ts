import { z } from 'zod';
import { objectIdSchema } from '@omo/lib/core/validation';
import { contract, route } from '@omo/lib/contracts/contract';
import { purchasesConditionSchema, segmentFilterRoute } from '@omo/lib/contracts/segment-filter';

/** The purchases service's internal routes. */
export const purchasesContract = contract('purchases', {
  /** members (outbox): the merged member's purchases and stats become the survivor's (idempotent by mergeId). */
  merge: route(
    '/internal/merges',
    z.object({ mergeId: z.string().min(1).max(200), fromMemberId: objectIdSchema(), toMemberId: objectIdSchema() }),
    z.object({ moved: z.number().int() }),
    { message: 'mergeId, fromMemberId and toMemberId are required', field: 'mergeId' },
  ),
  /** members: the stores a new POS key is for, named by id or by code; NOT_FOUND names the unknown ones. */
  resolveStores: route(
    '/internal/stores/resolve',
    z.object({ refs: z.array(z.string().min(1).max(100)).min(1).max(100) }),
    z.object({ stores: z.array(z.object({ id: z.string(), code: z.string() })) }),
    { message: 'refs must be a list of 1-100 store ids or codes', field: 'refs' },
  ),
  segmentFilter: segmentFilterRoute(purchasesConditionSchema),
});
