import { parseInput } from '@omo/lib/core/validation';
import { accountSummarySchema, type AccountSummary } from '@omo/lib/contracts/points';
import type { LedgerEntryDoc } from '../models/ledger-entry.model';
import type { LedgerService } from './ledger.service';
import { BIRTHDAY_BONUS_KEY_PREFIX } from './birthday-bonus.job';
import { emptyState, stateFromEntry, viewAt } from './lots';
import { SIGNUP_BONUS_KEY_PREFIX } from './settlement.service';
import type { TierService } from './tier.service';

/** Entries shown in chat: a phone screen's worth. */
export const SUMMARY_HISTORY_LENGTH = 5;
/** Expiry dates shown: the chat shows the soonest, the rest is for callers that want a little more. */
export const SUMMARY_EXPIRING_LENGTH = 3;

/**
 * What a BONUS was for, in the contract's words: "signup" or "birthday", known by the entry's key (the sign-up
 * bonus's entries say "Sign-up bonus", as GraphQL shows them). Any other bonus answers null rather than its reason:
 * a reason may be a text staff wrote for staff, and the summary is shown to the customer.
 */
function bonusReason(entry: LedgerEntryDoc): 'signup' | 'birthday' | null {
  if (entry.type !== 'BONUS') return null;
  if (entry.idempotencyKey.startsWith(SIGNUP_BONUS_KEY_PREFIX)) return 'signup';
  return entry.idempotencyKey.startsWith(BIRTHDAY_BONUS_KEY_PREFIX) ? 'birthday' : null;
}

/**
 * A member's points at a glance (the points contract's accountSummary): balance, tier and recent entries in one
 * call, so the chat needs one round trip. The newest history entry is the head of the ledger, whose state is the account: balance and history come from the same read and always agree.
 * Lots past their expiry count for nothing even before the expiry job writes them off (as everywhere else).
 */
export async function accountSummary(
  deps: { ledger: LedgerService; tiers: TierService; clock: () => Date },
  raw: unknown,
): Promise<AccountSummary> {
  const memberId = parseInput(accountSummarySchema, raw).memberId.toLowerCase();
  const now = deps.clock();
  const [page, standing] = await Promise.all([
    deps.ledger.history(memberId, SUMMARY_HISTORY_LENGTH, null, null),
    deps.tiers.tierFor(memberId, now),
  ]);
  const head = page.nodes[0];
  const view = viewAt(head ? stateFromEntry(head) : emptyState(memberId), now);
  return {
    balance: view.balance,
    pendingBalance: view.pending,
    tier: standing.tier,
    qualifyingSpend: standing.qualifyingSpend,
    nextTier: standing.nextTier,
    spendToNextTier: standing.spendToNextTier,
    expiring: view.expiring.slice(0, SUMMARY_EXPIRING_LENGTH),
    history: page.nodes.map((entry) => ({
      type: entry.type,
      amount: entry.amount,
      createdAt: entry.createdAt,
      // a purchase's entries and its refund's reversals carry where the sale was; nothing else does
      channel: entry.channel ?? null,
      storeId: entry.storeId ?? null,
      reason: bonusReason(entry),
    })),
  };
}
