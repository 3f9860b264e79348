import { z } from 'zod';
import { CANONICAL_OBJECT_ID } from '@omo/lib/core/validation';
import { contract, route } from '@omo/lib/contracts/contract';

/** Member ids as members writes them: line keeps them as strings and compares them as such. */
const memberId = z.string().regex(CANONICAL_OBJECT_ID);

/** The line service's internal routes. */
export const lineContract = contract('line', {
  /**
   * members (outbox): the merged member's LINE link follows it to the survivor, or the survivor keeps its own
   * (idempotent by mergeId).
   */
  merge: route(
    '/internal/merges',
    z.object({ mergeId: z.string().min(1).max(200), fromMemberId: memberId, toMemberId: memberId }),
    z.object({ outcome: z.enum(['MOVED', 'KEPT_SURVIVOR', 'NONE']) }),
    { message: 'mergeId, fromMemberId and toMemberId are required', field: 'mergeId' },
  ),
});
