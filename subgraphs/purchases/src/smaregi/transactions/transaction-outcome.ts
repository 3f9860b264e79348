import type { SmaregiEventOutcome } from '../webhook/event-log.model';

/** What carrying out one Smaregi transaction came to, for its event log entry. */
export interface TransactionOutcome {
  outcome: Exclude<SmaregiEventOutcome, 'RECEIVED' | 'CUSTOMERS_APPLIED'>;
  reason: string | null;
  purchaseId: string | null;
  pointsOverdrawn?: number;
}

export const outcomeOf = (outcome: TransactionOutcome['outcome'], reason: string | null, purchaseId: string | null = null): TransactionOutcome => ({ outcome, reason, purchaseId });
