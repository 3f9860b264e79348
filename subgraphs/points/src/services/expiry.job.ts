import type { Logger } from '@omo/lib/core/logger';
import type { PointAccountModel } from '../models/point-account.model';
import type { LedgerService } from './ledger.service';

/**
 * Writes off expired points for every member who has any. Safe to run twice or concurrently: each member's EXPIRE
 * entry has a key derived from the head it was computed from, so only one of two racing runs writes it.
 */
export class ExpiryJob {
  constructor(
    private readonly accounts: PointAccountModel,
    private readonly ledger: LedgerService,
    private readonly logger: Logger,
  ) {}

  async run(now: Date): Promise<{ membersChecked: number; entriesWritten: number; pointsExpired: number }> {
    // Candidates from the account snapshots. A snapshot that lags misses a lot only until the next run, and no
    // one sees expired points meanwhile: balances never count a lot past its expiry.
    const memberIds = (await this.accounts.distinct('_id', { 'lots.expiresAt': { $lte: now } })).map(String);
    let entriesWritten = 0;
    let pointsExpired = 0;
    for (const memberId of memberIds) {
      const entry = await this.ledger.expireMember(memberId);
      if (entry) {
        entriesWritten += 1;
        pointsExpired -= entry.amount;
      }
    }
    this.logger.info({ membersChecked: memberIds.length, entriesWritten, pointsExpired }, 'points expiry run');
    return { membersChecked: memberIds.length, entriesWritten, pointsExpired };
  }
}
