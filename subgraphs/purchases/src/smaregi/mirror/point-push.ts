import type { Logger } from '@omo/lib/core/logger';
import { RetryLater } from '@omo/lib/outbox/outbox';
import type { SmaregiCustomerLinkModel } from '../customers/customer-link.model';
import { SmaregiRefusedError, SmaregiUnavailableError, type SmaregiApi } from '../smaregi-api';
import { isNewer, type PointMarkDoc, type PointMirrorModels, type PushedMark, type PushState } from './point-mirror.models';

/** The outbox item type of a customer's push, and its key: one item per customer link. */
export const POINT_PUSH = 'smaregiPointPush';
export const pointPushKey = (linkId: string): string => `smaregi-point:${linkId}`;

/** A bulk update whose callback has not come within this is over: its customers are pushed one by one again. */
export const BULK_TIMEOUT_MS = 10 * 60_000;
/** Rounds one run may push before it leaves the rest to its next attempt (marks arriving faster than Smaregi answers). */
const MAX_ROUNDS = 5;
const BUSY_RETRY_MS = 1_000;
/** How long a push waits when Smaregi refuses the app in the whole contract (staff set that right in Smaregi). */
export const CONTRACT_REFUSED_RETRY_MS = 10 * 60_000;

export type PushOutcome =
  | { outcome: 'PUSHED'; seq: number; point: number }
  | { outcome: 'UP_TO_DATE' | 'NO_MARK' }
  | { outcome: 'REFUSED'; reason: string };

/** Whether the mark would change what was pushed: newer, and not a later reading of the same seq and balance. */
function changes(mark: PointMarkDoc, pushed: PushedMark): boolean {
  return isNewer(mark, pushed) && !(mark.seq === pushed.seq && mark.balance === pushed.balance);
}

/**
 * Sets one Smaregi customer's point field to the newest mark (Smaregi's absolute update, PATCH
 * /customers/{id}/point), from the outbox item `smaregi-point:<link>`, which every new mark re-arms.
 *
 * Never an older value over a newer one, with no transaction and no atomic conditional update to lean on: after its
 * PATCH returns, a run reads the newest mark again and, if a newer one came meanwhile, pushes that too. So the
 * PATCH that lands last (whichever run sent it: two runs of one customer may overlap when a rearm starts a new
 * attempt while one runs, or two workers hold two attempts) is always followed by a check that sees every mark
 * kept before it, and a mark kept after it re-arms a run of its own. Before its first PATCH a run may skip one that
 * would change nothing (the record says the newest mark was pushed); after a PATCH it never trusts the record,
 * which an overlapping run may have written out of order.
 */
export class PointPush {
  constructor(
    private readonly deps: { api: SmaregiApi; models: PointMirrorModels; links: SmaregiCustomerLinkModel; logger: Logger; clock: () => Date },
  ) {}

  async run(linkId: string): Promise<PushOutcome> {
    let sent: { mark: PointMarkDoc; point: number } | null = null;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const newest = await this.newest(linkId);
      if (!newest) return { outcome: 'NO_MARK' };
      if (sent && !isNewer(newest, sent.mark)) {
        await this.prune(linkId, sent.mark);
        return { outcome: 'PUSHED', seq: sent.mark.seq, point: sent.point };
      }
      if (!sent) {
        const record = await this.deps.models.pushes.findById(linkId).lean().exec();
        // a record of another member's mark (the customer moved in a merge) says nothing about this member's
        if (record?.state === 'PUSHED' && record.memberId === newest.memberId && record.pushed && !changes(newest, record.pushed)) return { outcome: 'UP_TO_DATE' };
        await this.waitForBulk(linkId, newest);
      }
      const point = Math.max(0, newest.balance);
      try {
        await this.deps.api.setCustomerPoint(newest.contractId, newest.customerId, point);
      } catch (error) {
        if (error instanceof SmaregiUnavailableError) {
          await this.record(newest, 'RETRYING', { reason: error.message, status: error.status });
          throw new RetryLater(error.message, error.retryAfterMs === null ? {} : { afterMs: error.retryAfterMs });
        }
        if (error instanceof SmaregiRefusedError && error.contractWide) {
          const reason = error.detail ?? error.message;
          await this.record(newest, 'RETRYING', { reason, status: error.status });
          this.deps.logger.error({ contractId: newest.contractId, status: error.status, reason }, 'Smaregi refused the app in this contract; points are pushed again once staff set it right');
          throw new RetryLater(reason, { afterMs: CONTRACT_REFUSED_RETRY_MS });
        }
        if (error instanceof SmaregiRefusedError) {
          const reason = error.detail ?? error.message;
          await this.record(newest, 'REFUSED', { reason, status: error.status });
          this.deps.logger.error({ contractId: newest.contractId, customerId: newest.customerId, memberId: newest.memberId, status: error.status, reason }, 'Smaregi refused to set a customer’s points; staff must look at it');
          return { outcome: 'REFUSED', reason };
        }
        throw error;
      }
      // crash point: Smaregi has `point` and nothing here says so. The item is not done, so it runs again and sets
      // the same absolute value once more: one more call, nothing wrong.
      await this.record(newest, 'PUSHED', { pushed: { seq: newest.seq, asOf: newest.asOf, balance: newest.balance, point, at: this.deps.clock() } });
      sent = { mark: newest, point };
    }
    throw new RetryLater(`marks for ${linkId} kept coming during ${MAX_ROUNDS} pushes; checking again`, { afterMs: BUSY_RETRY_MS });
  }

  /**
   * A bulk update carrying this very mark is on its way (bulk-catch-up.ts): no PATCH of the same value beside it.
   * The push waits until the bulk times out (the callback runs it at once if a newer mark came meanwhile); a push
   * that finds a newer mark than the bulk carried is not held by it.
   */
  private async waitForBulk(linkId: string, newest: PointMarkDoc): Promise<void> {
    const since = new Date(this.deps.clock().getTime() - BULK_TIMEOUT_MS);
    const bulk = await this.deps.models.bulks.findOne({ linkIds: linkId, state: { $in: ['SENDING', 'SENT'] }, sentAt: { $gt: since } }).lean().exec();
    const carried = bulk?.items.find((i) => i.linkId === linkId);
    if (!bulk || !carried || carried.memberId !== newest.memberId || isNewer(newest, carried)) return;
    throw new RetryLater(`${linkId} is in Smaregi's bulk update ${bulk.requestId ?? '(being sent)'}`, { afterMs: bulk.sentAt.getTime() + BULK_TIMEOUT_MS - this.deps.clock().getTime() });
  }

  /**
   * The newest mark for the customer: of the member it is linked to now (seqs are per member, so a merged member's
   * marks left on a customer moved to the survivor must not outrank the survivor's), the highest seq, and of one
   * seq the latest reading. None when the link is gone.
   */
  async newest(linkId: string): Promise<PointMarkDoc | null> {
    const link = await this.deps.links.findById(linkId).lean().exec();
    if (!link) return null;
    return this.deps.models.marks.findOne({ linkId, memberId: link.memberId }).sort({ seq: -1, asOf: -1 }).lean<PointMarkDoc>().exec();
  }

  /**
   * The customer's push record. `retryingSince` is set only as the record goes RETRYING from another state (a
   * second write, taken only where it is not set) and cleared in any other state, so a push retried for ever shows
   * how long ago it started. Not atomic (FerretDB): a record leaving and entering RETRYING at the same moment may
   * keep the earlier time, so staff see it a little early, never later than an hour after it was set.
   */
  async record(mark: Pick<PointMarkDoc, 'linkId' | 'contractId' | 'customerId' | 'memberId'>, state: PushState, fields: { pushed?: PushedMark; reason?: string; status?: number | null }): Promise<void> {
    const now = this.deps.clock();
    await this.deps.models.pushes.updateOne(
      { _id: mark.linkId },
      {
        $set: {
          contractId: mark.contractId,
          customerId: mark.customerId,
          memberId: mark.memberId,
          state,
          reason: fields.reason ?? null,
          status: fields.status ?? null,
          updatedAt: now,
          ...(fields.pushed ? { pushed: fields.pushed } : {}),
          ...(state === 'RETRYING' ? {} : { retryingSince: null }),
        },
      },
      { upsert: true },
    ).exec();
    if (state === 'RETRYING') await this.deps.models.pushes.updateOne({ _id: mark.linkId, retryingSince: null }, { $set: { retryingSince: now } }).exec();
  }

  /**
   * Marks of the same member of earlier seqs than one Smaregi has confirmed can never be the newest again. Another
   * member's are left: newest() passes them by, and a run that read the link just before a merge moved it must not
   * delete the survivor's first mark.
   */
  private async prune(linkId: string, confirmed: PointMarkDoc): Promise<void> {
    await this.deps.models.marks.deleteMany({ linkId, memberId: confirmed.memberId, seq: { $lt: confirmed.seq } }).exec();
  }
}
