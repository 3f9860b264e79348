import { Router } from 'express';
import type { ParsedRequestOf, ReplyOf } from '@omo/lib/contracts/contract';
import type { purchasesContract } from '@omo/lib/contracts/purchases';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import type { BackgroundTask } from '@omo/lib/server/background';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { SmaregiDeps } from '../deps';

type BalanceRoute = typeof purchasesContract.routes.smaregiBalance;

/**
 * Our balance back to Smaregi (stub: issue 17, part A): marks from points (smaregiBalance), the newest pushed to each
 * mapped customer's point field from the outbox, never an older value over a newer one, retried with back-off.
 */
export class BalanceMirror {
  constructor(private readonly deps: SmaregiDeps) {}

  /** points' smaregiBalance: keep the mark for each of the member's customers and make sure a push runs. */
  mark(_input: ParsedRequestOf<BalanceRoute>): Promise<ReplyOf<BalanceRoute>> {
    return Promise.reject(new ServiceUnavailableError('smaregi', 'the Smaregi balance mirror is not built yet'));
  }

  /** A customer was just linked to this member: ask points for the balance now and mark it. */
  syncMember(_memberId: string): Promise<void> {
    return Promise.reject(new ServiceUnavailableError('smaregi', 'the Smaregi balance mirror is not built yet'));
  }

  handlers(): Record<string, OutboxHandler> {
    return {};
  }

  /** The bulk point update's callback (POST /webhooks/smaregi/point-bulk-callback). */
  routes(): Router {
    return Router();
  }

  background(): BackgroundTask[] {
    return [];
  }
}
