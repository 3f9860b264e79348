import { thrownBy } from '@omo/tools/testing/errors';
import type { Lot } from '../models/ledger-entry.model';
import { clawback, credit, debit, emptyState, expire, moveIn, moveOut, overdraw, totalPoints, viewAt, InsufficientPointsError, type LedgerState } from './lots';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);
const NOW = day(100);

function lot(lotId: string, remaining: number, options: { expires?: number; available?: number; purchaseId?: string } = {}): Lot {
  return {
    lotId,
    amount: remaining,
    remaining,
    earnedAt: day(0),
    availableAt: day(options.available ?? 0),
    expiresAt: day(options.expires ?? 365),
    purchaseId: options.purchaseId ?? null,
  };
}

function state(lots: Lot[], debt = 0): LedgerState {
  return { ...emptyState('m1'), seq: 5, lots, debt, lifetimeEarned: 1000 };
}

const remainingOf = (lots: Lot[]) => Object.fromEntries(lots.map((l) => [l.lotId, l.remaining]));

describe('point lots', () => {
  it('spends the soonest-expiring usable lots first and leaves pending and expired lots alone', () => {
    const before = state([lot('late', 50, { expires: 300 }), lot('soon', 30, { expires: 150 }), lot('pending', 40, { available: 120 }), lot('expired', 20, { expires: 90 })]);
    const after = debit(before, 40, NOW);
    expect(after.amount).toBe(-40);
    expect(remainingOf(after.lots)).toEqual({ late: 40, pending: 40, expired: 20 });
    expect(totalPoints(after.lots, after.debt)).toBe(totalPoints(before.lots, before.debt) - 40);
  });

  it('refuses to spend more than the usable balance, counting neither pending nor expired points', () => {
    const before = state([lot('a', 30), lot('pending', 40, { available: 120 }), lot('expired', 20, { expires: 90 })]);
    const error = thrownBy(() => debit(before, 31, NOW));
    expect(error).toBeInstanceOf(InsufficientPointsError);
    expect(error).toMatchObject({ extensions: { code: 'INSUFFICIENT_POINTS', available: 30, requested: 31 } });
  });

  it('overdraws only what the usable and pending points cannot cover: both are spent, expired ones kept, the rest owed', () => {
    const before = state([lot('a', 30), lot('pending', 40, { available: 120 }), lot('expired', 20, { expires: 90 })], 5);
    const after = overdraw(before, 100, NOW);
    expect(after).toMatchObject({ amount: -100, debt: 35, overdrawn: 35, lifetimeEarned: 1000 });
    expect(remainingOf(after.lots)).toEqual({ expired: 20 });
    expect(totalPoints(after.lots, after.debt)).toBe(totalPoints(before.lots, before.debt) - 100);
    // a balance already below zero has nothing usable: all of it is overdrawn
    expect(overdraw(state([], 10), 20, NOW)).toMatchObject({ debt: 30, overdrawn: 20 });
    // enough usable points: an ordinary redemption, nothing owed
    expect(overdraw(before, 25, NOW)).toEqual(debit(before, 25, NOW));
  });

  it('an overdraw takes pending points before owing, so their expiry cannot leave the debt unpaid: 30 usable + 40 pending, 100 redeemed → −30', () => {
    const before = state([lot('a', 30), lot('pending', 40, { available: 120, expires: 130 })]);
    const change = overdraw(before, 100, NOW);
    const after = { ...before, lots: change.lots, debt: change.debt };
    const later = day(131);
    const expired = expire(after, later);
    const settled = expired ? { ...after, lots: expired.lots, debt: expired.debt } : after;
    expect(viewAt(settled, later)).toMatchObject({ balance: -30, pending: 0 });
  });

  it('shows usable, pending and expiring points as the member sees them', () => {
    const view = viewAt(state([lot('a', 30, { expires: 200 }), lot('b', 5, { expires: 200 }), lot('pending', 40, { available: 120, expires: 400 }), lot('expired', 20, { expires: 90 })], 10), NOW);
    expect(view).toEqual({
      balance: 25,
      pending: 40,
      expiring: [
        { points: 35, expiresAt: day(200) },
        { points: 40, expiresAt: day(400) },
      ],
    });
  });

  it('takes back a refunded purchase’s points from its own lot first, then others, and owes the rest', () => {
    const before = state([lot('other', 10, { expires: 200 }), lot('own', 15, { purchaseId: 'p1', expires: 300 })]);
    const after = clawback(before, 40, NOW, 'p1');
    expect(after.amount).toBe(-40);
    expect(after.lots).toEqual([]);
    expect(after.debt).toBe(15);
    expect(viewAt({ lots: after.lots, debt: after.debt }, NOW).balance).toBe(-15);
    expect(after.lifetimeEarned).toBe(960);
  });

  it('pays what is owed out of the next credit before it becomes usable', () => {
    const owing = state([], 15);
    const after = credit(owing, { lotId: 'new', amount: 40, earnedAt: NOW, availableAt: NOW, expiresAt: day(465) }, true);
    expect(after.amount).toBe(40);
    expect(after.debt).toBe(0);
    expect(remainingOf(after.lots)).toEqual({ new: 25 });
    expect(after.lifetimeEarned).toBe(1040);
  });

  it('writes off exactly what is left of expired lots', () => {
    const before = state([lot('expired', 20, { expires: 90 }), lot('edge', 7, { expires: 100 }), lot('live', 30)]);
    const after = expire(before, NOW);
    expect(after?.amount).toBe(-27);
    expect(remainingOf(after!.lots)).toEqual({ live: 30 });
    expect(expire(state([lot('live', 30)]), NOW)).toBeNull();
  });

  it('moves every lot and debt of a merged member to the survivor, keeping their expiry and the total', () => {
    const merged = state([lot('m-a', 30, { expires: 200 })], 5);
    const out = moveOut(merged);
    expect(out.amount).toBe(-25);
    expect(totalPoints(out.lots, out.debt)).toBe(0);
    const survivor = state([lot('s-a', 10, { expires: 150 })]);
    const into = moveIn(survivor, { lots: out.movedLots!, debt: out.movedDebt!, lifetimeEarned: out.movedLifetimeEarned!, lastPurchaseAt: null }, NOW);
    expect(into.amount).toBe(25);
    expect(totalPoints(into.lots, into.debt)).toBe(35);
    expect(into.debt).toBe(0);
    // the debt was paid from the soonest-expiring lot
    expect(remainingOf(into.lots)).toEqual({ 's-a': 5, 'm-a': 30 });
  });
});
