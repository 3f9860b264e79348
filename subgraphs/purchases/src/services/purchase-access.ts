import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { PurchaseDoc } from '../models/purchase.model';

/** Who may record and refund at a store: its POS keys, staff, and services (webhooks). */
export function assertCanTradeAt(caller: Caller, storeId: string): void {
  const actor = requireAuthenticated(caller);
  if (actor.kind === 'staff' || actor.kind === 'service') return;
  if (actor.kind === 'pos' && actor.storeIds.includes(storeId)) return;
  throw new ForbiddenError(actor.kind === 'pos' ? 'This key may only record purchases at its own stores' : 'Only POS keys and staff record purchases');
}

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

/**
 * A POS key names the member by the card in front of it: a member id is not something a customer shows at a
 * register, so a key accepting ids could spend anyone's points. Staff and services (webhooks) know ids.
 */
export function assertCanIdentifyMember(caller: Caller, input: { memberId?: string | null }): void {
  if (caller.kind === 'pos' && input.memberId) {
    throw new ForbiddenError('POS keys identify the member by the card (memberCode); memberId is for staff', { field: 'memberId' });
  }
}

/**
 * An offline register may send a purchase late, but a key that could date purchases freely could earn from
 * campaigns long over; older purchases are recorded by staff.
 */
export function assertCanBackdate(caller: Caller, occurredAt: Date, now: Date, posMaxBackdateHours: number): void {
  if (caller.kind !== 'pos') return;
  if (occurredAt.getTime() < now.getTime() - posMaxBackdateHours * 3_600_000) {
    throw new BadUserInputError(`occurredAt is more than ${posMaxBackdateHours} hours ago; older purchases are recorded by staff`, { field: 'occurredAt' });
  }
}
