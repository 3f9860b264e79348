import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, isRetryable, type ServiceDirectory } from '@omo/lib/server/internal-api';
import { RetryLater, type Outbox, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { AppendNotice, AppendWatcher } from './ledger-append';
import type { LedgerService } from './ledger.service';
import { viewAt, type LedgerState } from './lots';

export const ENTRY_ITEM = 'smaregi-balance';
export const MATURITY_ITEM = 'smaregi-balance-matures';
const entryKey = (idempotencyKey: string) => `${ENTRY_ITEM}:${idempotencyKey}`;
const maturityKey = (memberId: string, at: Date) => `${MATURITY_ITEM}:${memberId}:${at.getTime()}`;

/**
 * An item whose entry is not in the ledger is looked at again until it is this old: its append was refused after
 * the note (the snapshot it first trusted lagged), lost its key to a twin, or died; nothing changed, nothing is sent.
 */
const ABANDONED_MS = 60_000;
/**
 * An append that took this long between its note and its insert may have had its item given up meanwhile (a
 * process paused or a long race): it runs the item again. Half of ABANDONED_MS, for the clocks of two processes.
 */
const SLOW_APPEND_MS = ABANDONED_MS / 2;

export interface BalanceState {
  memberId: string;
  seq: number;
  balance: number;
  asOf: Date;
}

/**
 * Points' side of the Smaregi balance mirror (issue 17, docs/smaregi-setup.md section 4): every change of a
 * member's points reaches purchases' `smaregiBalance` from points' outbox, with the state read when the item runs,
 * so a later read supersedes an earlier one (the connector keeps the newest by seq, then asOf).
 *
 * The one choke point is the ledger's insert (ledger-append.ts tryInsert), whatever the operation. Before it, an
 * item keyed by the entry's idempotency key is written (one insert); its handler sends nothing until the entry is
 * there, then reads the state after it. Why before and why it waits:
 * - written after the insert, a crash between the two would lose the change: it is written before;
 * - a crash after the item and before the entry: the item finds no entry for ABANDONED_MS and ends, having sent
 *   nothing (nothing changed). A retry of that key later finds the item there (not fresh) and, once its entry is
 *   in, runs the item again (`inserted`), so the item having ended first loses nothing; a retry that dies between
 *   its entry and that run is followed by another retry (its caller had no answer), which finds the entry a replay
 *   and, its note not fresh, runs the item again all the same;
 * - the item running between the two writes (a worker polls every 2 s) would send the state before the change:
 *   it waits for the entry instead, and an append slower than SLOW_APPEND_MS runs it again after its insert.
 * With no Smaregi contract configured the watcher is not installed and nothing at all is written.
 *
 * Pending points becoming usable change the balance with no entry: a state sent while lots are pending arranges one
 * more send, due when the earliest of them becomes usable (an item due later; one per member and time).
 */
export class SmaregiBalanceSync implements AppendWatcher {
  private readonly purchases;

  constructor(
    private readonly deps: {
      /** Whether any Smaregi contract is configured: if not, nothing is written (the watcher is not installed). */
      enabled: boolean;
      /** The ledger this watches (made with it as its watcher, so given late). */
      ledger: () => LedgerService;
      services: ServiceDirectory;
      internalSecret: string;
      clock: () => Date;
      logger: Logger;
      /** Points' outbox, made with these handlers. */
      outbox: () => Outbox;
    },
  ) {
    this.purchases = internalClient(purchasesContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'points' });
  }

  async before(memberId: string, idempotencyKey: string): Promise<AppendNotice> {
    const at = this.deps.clock();
    const fresh = await this.deps.outbox().enqueue(entryKey(idempotencyKey), ENTRY_ITEM, { memberId, idempotencyKey });
    return { memberId, idempotencyKey, fresh, at };
  }

  async inserted(notice: AppendNotice): Promise<void> {
    if (notice.fresh && this.deps.clock().getTime() - notice.at.getTime() < SLOW_APPEND_MS) return;
    await this.deps.outbox().rearm(entryKey(notice.idempotencyKey), ENTRY_ITEM, { memberId: notice.memberId, idempotencyKey: notice.idempotencyKey });
  }

  handlers(): Record<string, OutboxHandler> {
    return {
      [ENTRY_ITEM]: (payload, item) => this.afterEntry(String(payload.idempotencyKey), item),
      [MATURITY_ITEM]: async (payload) => this.send(await this.deps.ledger().state(String(payload.memberId))),
    };
  }

  /** The ledger's watcher, when a Smaregi contract is configured. */
  watcher(): AppendWatcher | null {
    return this.deps.enabled ? this : null;
  }

  /**
   * The balance as the connector mirrors it, read now (the head as the ledger has it); a member with no ledger is
   * seq 0, balance 0. The connector mirrors what it asked for (a customer mapped since), so pending lots get their
   * maturity send from here too.
   */
  async balanceState(memberId: string): Promise<BalanceState> {
    const state = await this.deps.ledger().state(memberId);
    const read = stateAt(state, this.deps.clock());
    if (this.deps.enabled) await this.followMaturity(state, read.asOf);
    return read;
  }

  private async afterEntry(idempotencyKey: string, item: OutboxItemDoc): Promise<unknown> {
    const entry = await this.deps.ledger().findByKey(idempotencyKey);
    if (!entry) {
      if (this.deps.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS) throw new RetryLater('its ledger entry is not written yet');
      return { skipped: 'no entry was written under this key' };
    }
    return this.send(await this.deps.ledger().stateSince(entry));
  }

  private async send(state: LedgerState): Promise<unknown> {
    const read = stateAt(state, this.deps.clock());
    let status: 'QUEUED' | 'NOT_MAPPED' | 'DISABLED';
    try {
      ({ status } = await this.purchases.smaregiBalance(read));
    } catch (error) {
      // unreachable, failing, or the secrets out of step: the outbox retries with its back-off, and logs it
      if (isRetryable(error) || !(error instanceof AppError)) throw error;
      // a request purchases refuses is refused again on every retry: kept on the item, and logged for staff
      this.deps.logger.error({ memberId: state.memberId, seq: state.seq, err: error.message }, 'purchases refused a Smaregi balance mark');
      return { refused: error.message };
    }
    // only a member the connector mirrors needs the send when pending points become usable; one mapped later asks
    // balanceState, which arranges it then
    if (status === 'QUEUED') await this.followMaturity(state, read.asOf);
    return { status, seq: read.seq, balance: read.balance };
  }

  private async followMaturity(state: LedgerState, asOf: Date): Promise<void> {
    const at = nextMaturity(state, asOf);
    if (at) await this.deps.outbox().enqueue(maturityKey(state.memberId, at), MATURITY_ITEM, { memberId: state.memberId }, { notBefore: at });
  }
}

function stateAt(state: LedgerState, asOf: Date): BalanceState {
  return { memberId: state.memberId, seq: state.seq, balance: viewAt(state, asOf).balance, asOf };
}

/** When the earliest pending lot becomes usable (null: none is pending, or none will be before it expires). */
export function nextMaturity(state: LedgerState, now: Date): Date | null {
  const times = state.lots
    .filter((l) => l.remaining > 0 && l.availableAt.getTime() > now.getTime() && l.availableAt.getTime() < l.expiresAt.getTime())
    .map((l) => l.availableAt.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}
