import { AppError } from '@omo/lib/core/errors';
import type { LedgerEntryDoc, Lot } from '../models/ledger-entry.model';
import type { PointAccountDoc } from '../models/point-account.model';

/** A member's points after their latest ledger entry (seq 0: no entry yet). */
export interface LedgerState {
  memberId: string;
  seq: number;
  lots: Lot[];
  debt: number;
  lifetimeEarned: number;
  lastPurchaseAt: Date | null;
}

/** What one ledger entry does: the signed amount and the state it leaves. */
export interface Change {
  amount: number;
  lots: Lot[];
  debt: number;
  lifetimeEarned: number;
  lastPurchaseAt: Date | null;
  movedLots?: Lot[];
  movedDebt?: number;
  movedLifetimeEarned?: number;
  /** For a new lot: when it expires. */
  expiresAt?: Date;
  /** An overdrawing redemption: the points it took beyond the usable balance, now owed. */
  overdrawn?: number;
}

export class InsufficientPointsError extends AppError {
  constructor(available: number, requested: number) {
    super(`Not enough points: ${available} available, ${requested} requested`, 'INSUFFICIENT_POINTS', {
      available,
      requested,
    });
  }
}

export function emptyState(memberId: string): LedgerState {
  return { memberId, seq: 0, lots: [], debt: 0, lifetimeEarned: 0, lastPurchaseAt: null };
}

export function stateFromEntry(entry: LedgerEntryDoc): LedgerState {
  return {
    memberId: entry.memberId,
    seq: entry.seq,
    lots: entry.lotsAfter,
    debt: entry.debtAfter,
    lifetimeEarned: entry.lifetimeEarnedAfter,
    lastPurchaseAt: entry.lastPurchaseAt ?? null,
  };
}

export function stateFromSnapshot(snapshot: PointAccountDoc): LedgerState {
  return { memberId: snapshot._id, seq: snapshot.seq, lots: snapshot.lots, debt: snapshot.debt, lifetimeEarned: snapshot.lifetimeEarned, lastPurchaseAt: snapshot.lastPurchaseAt ?? null };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The entry fields that `change`, applied after `state`, determines: its seq, what it moves and the state after it. */
export type EntryChangeFields = Pick<
  LedgerEntryDoc,
  | 'memberId'
  | 'seq'
  | 'amount'
  | 'balanceAfter'
  | 'lotsAfter'
  | 'debtAfter'
  | 'lifetimeEarnedAfter'
  | 'lastPurchaseAt'
  | 'movedLots'
  | 'movedDebt'
  | 'movedLifetimeEarned'
  | 'expiresAt'
  | 'overdrawn'
>;

export function entryFieldsFor(state: LedgerState, change: Change): EntryChangeFields {
  return {
    memberId: state.memberId,
    seq: state.seq + 1,
    amount: change.amount,
    balanceAfter: totalPoints(change.lots, change.debt),
    lotsAfter: change.lots,
    debtAfter: change.debt,
    lifetimeEarnedAfter: change.lifetimeEarned,
    lastPurchaseAt: change.lastPurchaseAt,
    // only MERGE_OUT moves lots; elsewhere the field stays absent
    ...(change.movedLots ? { movedLots: change.movedLots } : {}),
    movedDebt: change.movedDebt ?? null,
    movedLifetimeEarned: change.movedLifetimeEarned ?? null,
    expiresAt: change.expiresAt ?? null,
    // only an overdrawing REDEEM has it, so a replay of its settlement answers what it overdrew
    ...(change.overdrawn ? { overdrawn: change.overdrawn } : {}),
  };
}

/** All points on the account, usable or not: what the ledger's amounts add up to. */
export function totalPoints(lots: Lot[], debt: number): number {
  return sum(lots.map((l) => l.remaining)) - debt;
}

const isExpired = (lot: Lot, now: Date) => lot.expiresAt.getTime() <= now.getTime();
const isAvailable = (lot: Lot, now: Date) => lot.availableAt.getTime() <= now.getTime() && !isExpired(lot, now);
const byExpiry = (a: Lot, b: Lot) =>
  a.expiresAt.getTime() - b.expiresAt.getTime() || a.earnedAt.getTime() - b.earnedAt.getTime() || a.lotId.localeCompare(b.lotId);

export interface AccountView {
  /** Usable now, minus what is owed; may be negative. */
  balance: number;
  pending: number;
  expiring: { points: number; expiresAt: Date }[];
}

/** The account as a member sees it at `now`: lots past their expiry count for nothing even before EXPIRE is written. */
export function viewAt(state: Pick<LedgerState, 'lots' | 'debt'>, now: Date): AccountView {
  const live = state.lots.filter((l) => l.remaining > 0 && !isExpired(l, now));
  const byDate = new Map<number, number>();
  for (const lot of live) byDate.set(lot.expiresAt.getTime(), (byDate.get(lot.expiresAt.getTime()) ?? 0) + lot.remaining);
  return {
    balance: sum(live.filter((l) => isAvailable(l, now)).map((l) => l.remaining)) - state.debt,
    pending: sum(live.filter((l) => !isAvailable(l, now)).map((l) => l.remaining)),
    expiring: [...byDate.entries()].sort(([a], [b]) => a - b).map(([time, points]) => ({ points, expiresAt: new Date(time) })),
  };
}

export function expiredLots(state: LedgerState, now: Date): Lot[] {
  return state.lots.filter((l) => l.remaining > 0 && isExpired(l, now));
}

/** Takes up to `points` from lots in the given order; returns the lots left and how much was taken. */
function take(lots: Lot[], points: number, order: Lot[]): { lots: Lot[]; taken: number } {
  const takenFrom = new Map<string, number>();
  let left = points;
  for (const lot of order) {
    if (left === 0) break;
    const n = Math.min(lot.remaining, left);
    if (n > 0) takenFrom.set(lot.lotId, n);
    left -= n;
  }
  const after = lots
    .map((lot) => ({ ...lot, remaining: lot.remaining - (takenFrom.get(lot.lotId) ?? 0) }))
    .filter((lot) => lot.remaining > 0);
  return { lots: after, taken: points - left };
}

/** Adds a lot (earn, bonus, returned points, positive adjustment); points owed are paid from it first. */
export function credit(state: LedgerState, lot: Omit<Lot, 'remaining'>, countsAsEarned: boolean): Change {
  const payoff = Math.min(state.debt, lot.amount);
  const remaining = lot.amount - payoff;
  return {
    amount: lot.amount,
    lots: remaining > 0 ? [...state.lots, { ...lot, remaining }] : state.lots,
    debt: state.debt - payoff,
    lifetimeEarned: state.lifetimeEarned + (countsAsEarned ? lot.amount : 0),
    lastPurchaseAt: state.lastPurchaseAt,
    expiresAt: lot.expiresAt,
  };
}

/** Spends points (redemption, negative adjustment): only usable points, soonest-expiring first, never below zero. */
export function debit(state: LedgerState, points: number, now: Date): Change {
  const { balance } = viewAt(state, now);
  if (balance < points) throw new InsufficientPointsError(Math.max(balance, 0), points);
  const { lots } = take(state.lots, points, state.lots.filter((l) => isAvailable(l, now)).sort(byExpiry));
  return { amount: -points, lots, debt: state.debt, lifetimeEarned: state.lifetimeEarned, lastPurchaseAt: state.lastPurchaseAt };
}

/**
 * A redemption that may overdraw (settle's overdraft ALLOW: a register sold against the balance its stale copy
 * showed, and the sale has happened): what is usable is spent, soonest-expiring first, then points still pending (as
 * a clawback takes them: left alone they could expire while the debt stays), and only the rest is owed like a refund
 * of spent points, so the balance goes negative and blocks redemption until later credits pay it off. `overdrawn` is
 * what neither covered.
 */
export function overdraw(state: LedgerState, points: number, now: Date): Change {
  const { balance } = viewAt(state, now);
  if (balance >= points) return debit(state, points, now);
  const usable = state.lots.filter((l) => isAvailable(l, now)).sort(byExpiry);
  const pending = state.lots.filter((l) => !isAvailable(l, now) && !isExpired(l, now)).sort(byExpiry);
  const { lots, taken } = take(state.lots, points, [...usable, ...pending]);
  const pendingTaken = Math.max(0, taken - sum(usable.map((l) => l.remaining)));
  return {
    amount: -points,
    lots,
    debt: state.debt + (points - taken),
    lifetimeEarned: state.lifetimeEarned,
    lastPurchaseAt: state.lastPurchaseAt,
    overdrawn: points - Math.max(balance, 0) - pendingTaken,
  };
}

/**
 * Takes back earned points on a refund: from the purchase's own lot first, then any other live lot (pending too),
 * soonest-expiring first. What the member has already spent becomes debt: the balance goes negative and
 * redemption is refused until new points pay it off.
 */
export function clawback(state: LedgerState, points: number, now: Date, purchaseId: string): Change {
  const live = state.lots.filter((l) => !isExpired(l, now));
  const order = [...live.filter((l) => l.purchaseId === purchaseId), ...live.filter((l) => l.purchaseId !== purchaseId).sort(byExpiry)];
  const { lots, taken } = take(state.lots, points, order);
  return {
    amount: -points,
    lots,
    debt: state.debt + (points - taken),
    lifetimeEarned: state.lifetimeEarned - points,
    lastPurchaseAt: state.lastPurchaseAt,
  };
}

/** Removes what is left of every lot past its expiry; null when nothing has expired. */
export function expire(state: LedgerState, now: Date): Change | null {
  const expired = expiredLots(state, now);
  if (expired.length === 0) return null;
  const ids = new Set(expired.map((l) => l.lotId));
  return {
    amount: -sum(expired.map((l) => l.remaining)),
    lots: state.lots.filter((l) => !ids.has(l.lotId)),
    debt: state.debt,
    lifetimeEarned: state.lifetimeEarned,
    lastPurchaseAt: state.lastPurchaseAt,
  };
}

/** Empties a merged member's account; the lots and debt travel to the survivor in MERGE_IN. */
export function moveOut(state: LedgerState): Change {
  return {
    amount: -totalPoints(state.lots, state.debt),
    lots: [],
    debt: 0,
    lifetimeEarned: 0,
    lastPurchaseAt: state.lastPurchaseAt,
    movedLots: state.lots,
    movedDebt: state.debt,
    movedLifetimeEarned: state.lifetimeEarned,
  };
}

/** Receives a merged member's lots (keeping their expiry) and debt; the debt is paid from lots at once. */
export function moveIn(state: LedgerState, moved: { lots: Lot[]; debt: number; lifetimeEarned: number; lastPurchaseAt: Date | null }, now: Date): Change {
  const lots = [...state.lots, ...moved.lots];
  const owed = state.debt + moved.debt;
  const { lots: after, taken } = take(lots, owed, lots.filter((l) => !isExpired(l, now)).sort(byExpiry));
  const latest = [state.lastPurchaseAt, moved.lastPurchaseAt].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
  return {
    amount: totalPoints(moved.lots, moved.debt),
    lots: after,
    debt: owed - taken,
    lifetimeEarned: state.lifetimeEarned + moved.lifetimeEarned,
    lastPurchaseAt: latest ?? null,
  };
}

/** AFTER_LAST_PURCHASE: a purchase moves the expiry of every lot to `until` (never earlier). */
export function extendExpiry(lots: Lot[], until: Date): Lot[] {
  return lots.map((lot) => (lot.expiresAt.getTime() < until.getTime() ? { ...lot, expiresAt: until } : lot));
}
