import type { Build, EntryContext } from './ledger-append';
import { credit, type Change } from './lots';

/** One member's imported balance: a lot per expiry date, written as one IMPORT entry under the row's key. */
export interface ImportedBalance {
  memberId: string;
  key: string;
  actor: string;
  lots: { points: number; expiresAt: Date }[];
}

export function importContext(actor: string): EntryContext {
  return { type: 'IMPORT', actor, reason: 'Imported from the previous card' };
}

/** The IMPORT entry's change: the lots still live, soonest expiry first; null when none is. */
export function importBuild(lots: ImportedBalance['lots']): Build {
  return (state, now, entryId) => {
    const live = lots.filter((lot) => lot.expiresAt.getTime() > now.getTime()).sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
    const [first, ...rest] = live.map((lot, index) => ({ lotId: `${entryId.toHexString()}:${index}`, amount: lot.points, earnedAt: now, availableAt: now, expiresAt: lot.expiresAt }));
    if (!first) return null;
    return rest.reduce<Change>((change, lot) => {
      const next = credit({ ...state, lots: change.lots, debt: change.debt }, lot, false);
      return { ...next, amount: change.amount + next.amount, expiresAt: change.expiresAt };
    }, credit(state, first, false));
  };
}
