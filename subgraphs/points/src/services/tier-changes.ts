import { insertOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { RetryLater, type Outbox, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { LedgerEntryModel } from '../models/ledger-entry.model';
import type { TierChangeDoc, TierChangeModels, TierChangeReason } from '../models/tier-change.model';
import type { TierService } from './tier.service';

export const TIER_CHANGED_ITEM = 'partner-tier-changed';
const itemKey = (changeId: string) => `tier-change:${changeId}`;
/** A change whose item was queued and not written by then never will be (its writer died or lost the insert). */
const ABANDONED_MS = 60_000;
/** Enough for many writers racing on one member's next change: each round, one of them wins. */
const MAX_ATTEMPTS = 20;

/** What a member's tier was last decided to be: REGULAR before their first change (every member starts there). */
export type LatestChange = Pick<TierChangeDoc, 'n' | 'to' | 'at'> | null;

/**
 * tier.changed for partners (docs/events.md). Tiers are computed from the rolling spend when read (tier.service.ts);
 * what partners were told is the member's list of changes, `tier_changes`, `<memberId>:<n>`. Whoever sees the tier
 * now differ from the latest change (a spend record written: a settlement, a refund, an import, a merge; or the
 * tier job) inserts change n+1: of two at once (a settlement and its retry, two job replicas) one wins the insert and
 * the other, re-reading, finds nothing left to do. So a change is recorded and published once, whatever retries.
 *
 * Crash points, in the order written:
 * 1. the outbox item `tier-change:<memberId>:<n>` before the change (the change's id is known
 *    before its insert). Dying here leaves an item whose handler finds no change: it waits a minute and ends
 *    having published nothing. The caller's retry (purchases retries a settlement until it answers) or the job
 *    computes the same n and writes the change, and rearms the item if it ended meanwhile;
 * 2. the change. Dying after it leaves the item, which copies the stored change to `member_tiers` and queues its
 *    event `tier.changed:<memberId>:<n>` (the publisher's own item, `partner-event:<event id>`, once per id).
 * The item is written whether or not anyone subscribes (a tier change is rare, and the copy in `member_tiers` is
 * what the job reads); only the event is skipped while members says nobody follows tier.changed.
 */
export class TierChanges {
  constructor(
    private readonly deps: {
      models: TierChangeModels;
      ledger: LedgerEntryModel;
      tiers: TierService;
      publisher: PartnerEventPublisher;
      clock: () => Date;
      outbox: () => Outbox;
    },
  ) {}

  /**
   * Records (and publishes) the member's tier at the clock's now if it differs from their latest change. `repair`:
   * when nothing changed, also copies the latest change over a `member_tiers` copy that lags (the job passes it,
   * having acted on that copy).
   */
  async check(memberId: string, reason: TierChangeReason, cause: string, options: { repair?: boolean } = {}): Promise<TierChangeDoc | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const at = this.deps.clock();
      const [standing, latest] = await Promise.all([this.deps.tiers.tierFor(memberId, at), this.latest(memberId)]);
      const from = latest?.to ?? 'REGULAR';
      if (standing.tier === from) {
        if (options.repair && latest) await this.copy({ memberId, ...latest });
        return null;
      }
      const n = (latest?.n ?? 0) + 1;
      const change: TierChangeDoc = {
        _id: `${memberId}:${n}`,
        memberId,
        n,
        from,
        to: standing.tier,
        reason,
        cause,
        qualifyingSpend: standing.qualifyingSpend,
        ledgerSeq: await this.ledgerSeq(memberId),
        at,
      };
      const payload = { changeId: change._id };
      const fresh = await this.deps.outbox().enqueue(itemKey(change._id), TIER_CHANGED_ITEM, payload);
      // a clash: another writer recorded this member's next change first; the next round reads it
      if (!(await insertOnce(this.deps.models.changes, change))) continue;
      // an item left by a writer that died before its insert may have ended having published nothing
      if (!fresh) await this.deps.outbox().rearm(itemKey(change._id), TIER_CHANGED_ITEM, payload);
      return change;
    }
    throw new Error(`Could not record the tier change of member ${memberId} after ${MAX_ATTEMPTS} attempts`);
  }

  handlers(): Record<string, OutboxHandler> {
    return { [TIER_CHANGED_ITEM]: (payload, item) => this.afterChange(String(payload.changeId), item) };
  }

  private async afterChange(changeId: string, item: OutboxItemDoc): Promise<unknown> {
    const change = await this.deps.models.changes.findById(changeId).lean<TierChangeDoc>().exec();
    if (!change) {
      if (this.deps.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS) throw new RetryLater('its tier change is not written yet');
      return { skipped: 'no tier change was written under this id' };
    }
    await this.copy({ memberId: change.memberId, n: change.n, to: change.to, at: change.at });
    // a member's changes are numbered without holes and each is published, so members can hold change n while
    // n - 1 (whose item backed off) may still come (docs/events.md, "Order")
    const before = change.n > 1 ? await this.deps.models.changes.findById(`${change.memberId}:${change.n - 1}`, { at: 1 }).lean<Pick<TierChangeDoc, 'at'>>().exec() : null;
    const id = `tier.changed:${change._id}`;
    const order = { position: change.n, tiebreak: id, previous: before ? { position: change.n - 1, at: before.at.toISOString() } : null };
    const event = partnerEvent('tier.changed', id, change.at, {
      memberId: change.memberId,
      from: change.from,
      to: change.to,
      reason: change.reason,
      qualifyingSpend: change.qualifyingSpend,
      ledgerSeq: change.ledgerSeq,
      at: change.at.toISOString(),
    }, order);
    return { queued: await this.deps.publisher.publish(this.deps.outbox(), event) };
  }

  private latest(memberId: string): Promise<LatestChange> {
    return this.deps.models.changes.findOne({ memberId }, { n: 1, to: 1, at: 1 }).sort({ n: -1 }).lean<Pick<TierChangeDoc, 'n' | 'to' | 'at'>>().exec();
  }

  private async ledgerSeq(memberId: string): Promise<number> {
    const head = await this.deps.ledger.findOne({ memberId }, { seq: 1 }).sort({ seq: -1 }).lean<{ seq: number }>().exec();
    return head?.seq ?? 0;
  }

  /**
   * The copy moves forward only (`n` below the change's). Two copies at once may both match on FerretDB and the
   * older land last: the job then finds the copy differing from the tier, and its check, reading tier_changes,
   * repairs it. A copy already at or past `n` makes the upsert's insert clash: nothing to do.
   */
  private async copy(latest: { memberId: string; n: number; to: TierChangeDoc['to']; at: Date }): Promise<void> {
    try {
      await this.deps.models.latest.updateOne({ _id: latest.memberId, n: { $lt: latest.n } }, { $set: { tier: latest.to, n: latest.n, at: latest.at } }, { upsert: true });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
