import type { Caller } from '@omo/lib/core/auth';

/**
 * The stores whose ledger entries a caller may see, or undefined for all of them. A POS key sees the entries of
 * purchases at its own stores only: the rest of a member's ledger (other stores' purchases, staff adjustments) is
 * not the register's business, any more than their purchases are.
 */
export function historyStoresFor(caller: Caller): string[] | undefined {
  return caller.kind === 'pos' ? caller.storeIds : undefined;
}

/** Who made a change ("staff:<id>", "pos:<keyId>") is for staff: ids of staff and keys are not shown outside. */
export function canSeeActor(caller: Caller): boolean {
  return caller.kind === 'staff' || caller.kind === 'service';
}

/** Reasons (adjustments, refunds, merges) are written for staff and the member, not for a register. */
export function canSeeReason(caller: Caller): boolean {
  return caller.kind !== 'pos';
}
