import { requireAuthenticated, type Caller } from '@omo/lib/auth';
import { ForbiddenError } from '@omo/lib/errors';
import type { PurchaseDoc } from '../models/purchase.model';

/** Staff see every purchase, a customer their own, a POS key those of its stores. */
export function assertCanReadPurchase(caller: Caller, purchase: PurchaseDoc): void {
  const actor = requireAuthenticated(caller);
  if (actor.kind === 'staff' || actor.kind === 'service') return;
  if (actor.kind === 'customer' && purchase.memberId === actor.memberId) return;
  if (actor.kind === 'pos' && actor.storeIds.includes(purchase.storeId)) return;
  throw new ForbiddenError('Not allowed to see this purchase');
}

/** A member's history and summary: staff and the member themself. */
export function assertCanReadHistory(caller: Caller, memberId: string): void {
  const actor = requireAuthenticated(caller);
  if (actor.kind === 'staff' || actor.kind === 'service') return;
  if (actor.kind === 'customer' && actor.memberId === memberId) return;
  throw new ForbiddenError('Only staff and the member see purchase history');
}
