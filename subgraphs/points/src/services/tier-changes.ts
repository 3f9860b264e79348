import { insertManyOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import { partnerEvent } from '@omo/lib/events/partner-events';
import { RetryLater, type Outbox, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { LedgerEntryModel } from '../models/ledger-entry.model';
import type { TierChangeDoc, TierChangeModels, TierChangeReason } from '../models/tier-change.model';
import type { PolicySource } from './policy.service';
import type { SpendWritten, TierService } from './tier.service';

export const TIER_CHANGED_ITEM = 'partner-tier-changed';
const itemKey = (changeId: string) => `tier-change:${changeId}`;
/** A change whose item was queued and not written by then never will be (its writer died or lost the insert). */
const ABANDONED_MS = 60_000;
/**
 * A writer that stored its change this long after queueing the item rearms it: a handler that found no change
 * may give up once the item is ABANDONED_MS old (half of it leaves room for the clocks of two processes).
 */
const REARM_AFTER_MS = ABANDONED_MS / 2;
/** Enough for many writers racing on one member's next change: each round, one of them wins. */
const MAX_ATTEMPTS = 20;

/** `repair`: see check. `policy`: where the policy is read (a settlement's single read), else the policy service. */
interface RoundOptions {
  repair?: boolean;
  policy?: PolicySource;
}

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
 *    A writer that stalled between the two (past REARM_AFTER_MS) rearms the item after its insert, as the handler
 *    may have given it up meanwhile.
 * A batch (checkMany: the member import's spend) writes the same two, in the same order, for all its members at once:
 * one read of their spend, one of their changes, one of their ledger heads, one insert of the items and one of the
 * changes. Items there already (a rerun of a batch that died between the two) are rearmed after the insert; a
 * change there already (another writer) makes every item of the batch rearmed (all their changes exist by then)
 * and every member checked alone, which finds what is left.
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
  async check(memberId: string, reason: TierChangeReason, cause: string, options: RoundOptions = {}): Promise<TierChangeDoc | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const round = await this.round([{ memberId, reason, key: cause }], options);
      // a clash: another writer recorded this member's next change first; the next round reads it
      if (round.clean) return round.changes[0] ?? null;
    }
    throw new Error(`Could not record the tier change of member ${memberId} after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * As check, for the members of a batch of spend writes at once (a member twice is checked once, for its first).
   * `policy`: where the spend's writer read the policy (SpendWatcher).
   */
  async checkMany(spends: readonly SpendWritten[], policy?: PolicySource): Promise<TierChangeDoc[]> {
    const first = new Map<string, SpendWritten>();
    for (const spend of spends) if (!first.has(spend.memberId)) first.set(spend.memberId, spend);
    const round = await this.round([...first.values()], { policy });
    if (round.clean) return round.changes;
    const outbox = this.deps.outbox();
    const changes: TierChangeDoc[] = [];
    for (const change of round.changes) await outbox.rearm(itemKey(change._id), TIER_CHANGED_ITEM, { changeId: change._id });
    for (const spend of first.values()) {
      const change = await this.check(spend.memberId, spend.reason, spend.key, { policy });
      if (change) changes.push(change);
    }
    return changes;
  }

  /**
   * One try for every member: the changes it decided, and `clean` when all were written by this call with items
   * of its own. Not clean, some item or change was there first: which FerretDB does not say.
   */
  private async round(allSpends: readonly SpendWritten[], options: RoundOptions): Promise<{ changes: TierChangeDoc[]; clean: boolean }> {
    const at = this.deps.clock();
    const standings = await this.deps.tiers.tierForMany(allSpends.map((spend) => spend.memberId), at, options.policy);
    // A spend that left its member's tier where it found it causes no change, and its latest change is not read:
    // a change still due is time's (the tier job's) or another write's, whose own check (or its retry, which
    // carries no tierBefore) records it. Only a spend written as it happens, under the rules of its time, carries
    // a tierBefore (TierService): else the two tiers are of different windows or rules. A refund recorded between
    // the sale's read of its tier and its spend may leave the latest change differing from a tier the sale
    // restored: that change is the tier job's (docs/events.md).
    const spends = allSpends.filter((spend) => spend.tierBefore === undefined || spend.tierBefore !== standings.get(spend.memberId)!.tier);
    if (!spends.length) return { changes: [], clean: true };
    const latest = await this.latestMany(spends.map((spend) => spend.memberId));
    const changing = spends.filter((spend) => standings.get(spend.memberId)!.tier !== (latest.get(spend.memberId)?.to ?? 'REGULAR'));
    if (options.repair) {
      for (const spend of spends) {
        const last = latest.get(spend.memberId);
        if (last && !changing.includes(spend)) await this.copy({ memberId: spend.memberId, ...last });
      }
    }
    if (!changing.length) return { changes: [], clean: true };
    const seqs = await this.ledgerSeqs(changing.map((spend) => spend.memberId));
    const changes = changing.map(({ memberId, reason, key }): TierChangeDoc => {
      const last = latest.get(memberId);
      const standing = standings.get(memberId)!;
      const n = (last?.n ?? 0) + 1;
      return { _id: `${memberId}:${n}`, memberId, n, from: last?.to ?? 'REGULAR', to: standing.tier, reason, cause: key, qualifyingSpend: standing.qualifyingSpend, ledgerSeq: seqs.get(memberId) ?? 0, at };
    });
    const outbox = this.deps.outbox();
    const items = changes.map((change) => ({ key: itemKey(change._id), type: TIER_CHANGED_ITEM, payload: { changeId: change._id } }));
    const fresh = await outbox.enqueueMany(items);
    if (!(await insertManyOnce(this.deps.models.changes, changes))) return { changes, clean: false };
    // an item left by a writer that died before its insert, or one this writer queued before a stall, may have
    // ended having published nothing
    if (!fresh || this.deps.clock().getTime() - at.getTime() >= REARM_AFTER_MS) {
      for (const item of items) await outbox.rearm(item.key, item.type, item.payload);
    }
    return { changes, clean: true };
  }

  handlers(): Record<string, OutboxHandler> {
    return { [TIER_CHANGED_ITEM]: (payload, item) => this.afterChange(String(payload.changeId), item) };
  }

  private async afterChange(changeId: string, item: OutboxItemDoc): Promise<unknown> {
    // the age is read before the change, so that a writer storing its change within REARM_AFTER_MS of its item
    // cannot be given up on
    const young = this.deps.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS;
    const change = await this.deps.models.changes.findById(changeId).lean<TierChangeDoc>().exec();
    if (!change) {
      if (young) throw new RetryLater('its tier change is not written yet');
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

  /** Each member's latest change: all their changes in one read (a tier changes rarely), the highest n kept. */
  private async latestMany(memberIds: readonly string[]): Promise<Map<string, NonNullable<LatestChange>>> {
    const changes = await this.deps.models.changes
      .find({ memberId: { $in: memberIds } }, { memberId: 1, n: 1, to: 1, at: 1 })
      .lean<Pick<TierChangeDoc, 'memberId' | 'n' | 'to' | 'at'>[]>()
      .exec();
    const latest = new Map<string, NonNullable<LatestChange>>();
    for (const { memberId, n, to, at } of changes) if (n > (latest.get(memberId)?.n ?? 0)) latest.set(memberId, { n, to, at });
    return latest;
  }

  /**
   * The members' ledger heads. One member (a purchase, the job) reads only its head; a batch (the import's new
   * members, an entry or two each) reads all their entries at once, FerretDB's $group having no $max.
   */
  private async ledgerSeqs(memberIds: readonly string[]): Promise<Map<string, number>> {
    if (memberIds.length === 1) {
      const head = await this.deps.ledger.findOne({ memberId: memberIds[0] }, { seq: 1 }).sort({ seq: -1 }).lean<{ seq: number }>().exec();
      return new Map([[memberIds[0]!, head?.seq ?? 0]]);
    }
    const entries = await this.deps.ledger.find({ memberId: { $in: memberIds } }, { memberId: 1, seq: 1 }).lean<{ memberId: string; seq: number }[]>().exec();
    const seqs = new Map<string, number>();
    for (const { memberId, seq } of entries) seqs.set(memberId, Math.max(seq, seqs.get(memberId) ?? 0));
    return seqs;
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
