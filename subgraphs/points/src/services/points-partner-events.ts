import type { Logger } from '@omo/lib/core/logger';
import { remotePartnerEventSink } from '@omo/lib/contracts/members';
import { PartnerEventPublisher, type PartnerEventSink } from '@omo/lib/events/partner-event-publisher';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { RetryLater, type Outbox, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { AppendNotice, AppendWatcher } from './ledger-append';
import type { LedgerService } from './ledger.service';

export const POINTS_CHANGED_ITEM = 'partner-points-changed';
const itemKey = (idempotencyKey: string) => `partner-event:points.changed:${idempotencyKey}`;
/** As the Smaregi balance item (smaregi-balance-sync.ts): an entry not written by then never will be. */
const ABANDONED_MS = 60_000;
const SLOW_APPEND_MS = ABANDONED_MS / 2;

interface PartnerNotice extends AppendNotice {
  /** False: nobody subscribes to points.changed, nothing was written. */
  queued: boolean;
}

/**
 * points.changed for partners (docs/events.md), one event per ledger entry, the ledger's second watcher beside the
 * Smaregi balance sync and written the same way (read smaregi-balance-sync.ts for the crash points): before the
 * insert an item keyed by the entry's idempotency key (the seq is not known until the insert wins), whose handler
 * waits for the entry and publishes `points.changed:<memberId>:<seq>` to members. With no subscription to the topic
 * (members said so in the last 30 s; without a recent answer the item is written) nothing is written, so a sale gains
 * no database command.
 */
export class PointsPartnerEvents implements AppendWatcher {
  readonly publisher: PartnerEventPublisher;

  constructor(
    private readonly deps: {
      ledger: () => LedgerService;
      services: ServiceDirectory;
      internalSecret: string;
      clock: () => Date;
      logger: Logger;
      outbox: () => Outbox;
    },
  ) {
    this.sink = remotePartnerEventSink({ directory: deps.services, internalSecret: deps.internalSecret, service: 'points' });
    this.publisher = new PartnerEventPublisher(this.sink, deps.clock, deps.logger);
  }

  private readonly sink: PartnerEventSink;

  async before(memberId: string, idempotencyKey: string): Promise<PartnerNotice> {
    const at = this.deps.clock();
    if (!this.publisher.wants('points.changed')) return { memberId, idempotencyKey, fresh: true, at, queued: false };
    const fresh = await this.deps.outbox().enqueue(itemKey(idempotencyKey), POINTS_CHANGED_ITEM, { idempotencyKey });
    return { memberId, idempotencyKey, fresh, at, queued: true };
  }

  async inserted(notice: AppendNotice): Promise<void> {
    const { queued, fresh, at, idempotencyKey } = notice as PartnerNotice;
    if (!queued || (fresh && this.deps.clock().getTime() - at.getTime() < SLOW_APPEND_MS)) return;
    await this.deps.outbox().rearm(itemKey(idempotencyKey), POINTS_CHANGED_ITEM, { idempotencyKey });
  }

  handlers(): Record<string, OutboxHandler> {
    return { ...this.publisher.handlers(), [POINTS_CHANGED_ITEM]: (payload, item) => this.afterEntry(String(payload.idempotencyKey), item) };
  }

  private async afterEntry(idempotencyKey: string, item: OutboxItemDoc): Promise<unknown> {
    const entry = await this.deps.ledger().findByKey(idempotencyKey);
    if (!entry) {
      if (this.deps.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS) throw new RetryLater('its ledger entry is not written yet');
      return { skipped: 'no entry was written under this key' };
    }
    // every entry after a subscription has its event, so members can hold this one until the one before it came
    const previous = entry.seq > 1 ? await this.deps.ledger().entryAt(entry.memberId, entry.seq - 1) : null;
    const id = `points.changed:${entry.memberId}:${entry.seq}`;
    const event = partnerEvent(
      'points.changed',
      id,
      entry.createdAt,
      { memberId: entry.memberId, seq: entry.seq, type: entry.type, amount: entry.amount, balanceAfter: entry.balanceAfter, purchaseId: entry.purchaseId ?? null },
      { position: entry.seq, tiebreak: id, previous: previous ? { position: previous.seq, at: previous.createdAt.toISOString() } : null },
    );
    return this.sink.publish(event);
  }
}

/** Several watchers as the ledger's one: each is told before and after with its own notice. */
export function appendWatchers(watchers: (AppendWatcher | null)[]): AppendWatcher | null {
  const present = watchers.filter((watcher): watcher is AppendWatcher => watcher !== null);
  if (present.length <= 1) return present[0] ?? null;
  const parts = new WeakMap<AppendNotice, AppendNotice[]>();
  return {
    async before(memberId, idempotencyKey) {
      const notices = [];
      for (const watcher of present) notices.push(await watcher.before(memberId, idempotencyKey));
      // not fresh when any part is not: then the ledger tells every part after a lost insert too, and each decides
      const notice: AppendNotice = { memberId, idempotencyKey, at: notices[0]!.at, fresh: notices.every((n) => n.fresh) };
      parts.set(notice, notices);
      return notice;
    },
    async inserted(notice) {
      const notices = parts.get(notice) ?? [];
      for (const [i, watcher] of present.entries()) if (notices[i]) await watcher.inserted(notices[i]);
    },
  };
}
