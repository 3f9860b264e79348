import type { z } from 'zod';
import { AppError } from '@omo/lib/core/errors';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { ReceiptClaimRefusal } from '../i18n/receipt-claim.messages';

export type ClaimedReceipt = z.output<typeof purchasesContract.routes.claimReceipt.response>;
export type ReceiptClaimOutcome = { claimed: ClaimedReceipt } | { refused: ReceiptClaimRefusal };

const REFUSAL_OF: Readonly<Record<string, ReceiptClaimRefusal>> = {
  BAD_USER_INPUT: 'TYPO',
  NOT_FOUND: 'NOT_FOUND',
  CLAIM_EXPIRED: 'CLAIM_EXPIRED',
  PURCHASE_REFUNDED: 'PURCHASE_REFUNDED',
  ALREADY_CLAIMED: 'ALREADY_CLAIMED',
  RATE_LIMITED: 'RATE_LIMITED',
  MEMBER_WITHDRAWN: 'MEMBER_WITHDRAWN',
};

/**
 * The linked member's claim of a receipt code, by the purchases service (the owner of the sale). A refusal the
 * customer should read is returned; anything else (purchases down) is thrown, and the chat's event queue retries:
 * a retry of a claim that went through is told ALREADY_YOURS, never a second earn.
 */
export async function claimReceiptForMember(deps: { services: ServiceDirectory; internalSecret: string }, input: { memberId: string; code: string }): Promise<ReceiptClaimOutcome> {
  const purchases = internalClient(purchasesContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'line' });
  try {
    return { claimed: await purchases.claimReceipt(input) };
  } catch (error) {
    const refused = error instanceof AppError ? REFUSAL_OF[String(error.extensions.code)] : undefined;
    if (!refused) throw error;
    const { claimedByYou, limit } = (error as AppError).extensions;
    if (refused === 'ALREADY_CLAIMED' && claimedByYou === true) return { refused: 'ALREADY_YOURS' };
    // the day's cap names its limit; the hourly limit on codes that match nothing does not
    if (refused === 'RATE_LIMITED' && typeof limit === 'number') return { refused: 'DAILY_LIMIT' };
    return { refused };
  }
}
