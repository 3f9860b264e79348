import { randomBytes } from 'node:crypto';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { MAX_BULK_POINTS } from '../client/smaregi-client';
import type { SmaregiContracts } from '../contracts';
import { SmaregiRefusedError, SmaregiUnavailableError, type SmaregiApi } from '../smaregi-api';
import { isNewer, type BulkItem, type PointMirrorModels } from './point-mirror.models';
import { BULK_TIMEOUT_MS, POINT_PUSH, pointPushKey, type PointPush } from './point-push';

/** "More than a few": fewer customers behind in a contract are left to their own pushes. */
export const BULK_MIN_CUSTOMERS = 5;
/** The path of the bulk update's callback; the token after it is the bulk's id. */
export const BULK_CALLBACK_PATH = '/webhooks/smaregi/point-bulk-callback';

export interface CatchUpDeps {
  api: SmaregiApi;
  contracts: SmaregiContracts;
  models: PointMirrorModels;
  push: PointPush;
  outbox: () => Outbox;
  callbackBaseUrl: string;
  logger: Logger;
  clock: () => Date;
}

/**
 * Catch-up with Smaregi's bulk point update (PATCH /customers/point/bulk, absolute, at most 100 customers, applied
 * later and reported to a callback URL). After an outage many customers of a contract are behind, each push in its
 * back-off; once Smaregi answers again, their newest marks go in bulks instead of one PATCH each (4 writes a second
 * in the sandbox). The single pushes stay armed throughout and defer to a bulk carrying their mark
 * (point-push.ts), so nothing hangs on a bulk: a callback that never comes ends in BULK_TIMEOUT_MS and the pushes
 * send one by one. The callback records the customers pushed and, for any whose newest mark is newer than what the
 * bulk carried (it came while Smaregi was applying it, which may have landed after a newer PATCH), runs the push at
 * once: the same rule as a single push, a check follows the last write.
 */
export class BulkCatchUp {
  constructor(private readonly deps: CatchUpDeps) {}

  /** One round over the contracts: bulks past their time expired, then the customers behind sent in bulks. */
  async run(): Promise<number> {
    await this.expire();
    let sent = 0;
    for (const contract of this.deps.contracts.all()) sent += await this.catchUp(contract.contractId);
    return sent;
  }

  /**
   * Smaregi's callback for the bulk `token`: false for a token we never issued. Written before the answer: a
   * callback lost after it is no loss, as every customer's push is still armed and checks when its deferral ends.
   */
  async confirm(token: string, requestId: string | null): Promise<boolean> {
    const bulk = await this.deps.models.bulks.findById(token).lean().exec();
    if (!bulk) return false;
    if (bulk.requestId !== null && requestId !== null && requestId !== bulk.requestId) {
      // the token is unguessable and was given to this bulk alone: the callback is this bulk's whatever it says
      this.deps.logger.warn({ contractId: bulk.contractId, requestId: bulk.requestId, got: requestId }, 'Smaregi bulk callback with another requestId; taken as this bulk’s');
    }
    const at = this.deps.clock();
    for (const item of bulk.items) {
      await this.deps.push.record({ ...item, contractId: bulk.contractId }, 'PUSHED', { pushed: { seq: item.seq, asOf: item.asOf, balance: item.balance, point: item.point, at } });
      const newest = await this.deps.push.newest(item.linkId);
      // crash point: the customer is recorded pushed with a newer mark waiting; its push is still armed, deferred
      // to this bulk, which stays SENT until the last item is done, so it expires and re-pushes every customer
      if (newest && isNewer(newest, item)) await this.deps.outbox().runNow(pointPushKey(item.linkId), POINT_PUSH, { linkId: item.linkId }, { ignoreBackoff: true });
    }
    await this.deps.models.bulks.updateOne({ _id: token }, { $set: { state: 'CONFIRMED', confirmedAt: at, reason: null } }).exec();
    return true;
  }

  private async expire(): Promise<void> {
    const before = new Date(this.deps.clock().getTime() - BULK_TIMEOUT_MS);
    const late = await this.deps.models.bulks.find({ state: { $in: ['SENDING', 'SENT'] }, sentAt: { $lte: before } }).lean().exec();
    for (const bulk of late) {
      this.deps.logger.warn({ contractId: bulk.contractId, requestId: bulk.requestId, customers: bulk.items.length }, 'Smaregi bulk point update: no callback in time; its customers are pushed one by one');
      // Smaregi may have applied it after a newer single PATCH (a mark newer than the bulk's is not held by it), and
      // the records may say that newer mark is PUSHED: each customer is set RETRYING, so its push sends the newest
      // mark again instead of skipping. crash point: between the records and EXPIRED the bulk is still late, so
      // the next round does it all again
      for (const item of bulk.items) {
        await this.deps.push.record({ ...item, contractId: bulk.contractId }, 'RETRYING', { reason: 'Smaregi bulk point update: no callback in time' });
        await this.deps.outbox().runNow(pointPushKey(item.linkId), POINT_PUSH, { linkId: item.linkId }, { ignoreBackoff: true });
      }
      await this.deps.models.bulks.updateOne({ _id: bulk._id }, { $set: { state: 'EXPIRED', reason: 'no callback within the timeout' } }).exec();
    }
  }

  private async catchUp(contractId: string): Promise<number> {
    const since = new Date(this.deps.clock().getTime() - BULK_TIMEOUT_MS);
    const inFlight = await this.deps.models.bulks.find({ contractId, state: { $in: ['SENDING', 'SENT'] }, sentAt: { $gt: since } }).lean().exec();
    const busy = new Set(inFlight.flatMap((b) => b.linkIds));
    // a RETRYING record with a 4xx is Smaregi refusing the app in the contract: a bulk would be refused alike
    const behind = (await this.deps.models.pushes.find({ contractId, state: 'RETRYING' }).lean().exec()).filter((p) => !busy.has(p._id) && !(p.status !== null && p.status >= 400 && p.status < 500 && p.status !== 429));
    if (behind.length < BULK_MIN_CUSTOMERS) return 0;
    let sent = 0;
    for (let i = 0; i < behind.length; i += MAX_BULK_POINTS) {
      const items: BulkItem[] = [];
      for (const push of behind.slice(i, i + MAX_BULK_POINTS)) {
        const newest = await this.deps.push.newest(push._id);
        if (newest) items.push({ linkId: push._id, customerId: push.customerId, memberId: push.memberId, seq: newest.seq, asOf: newest.asOf, balance: newest.balance, point: Math.max(0, newest.balance) });
      }
      if (items.length === 0) continue;
      if (!(await this.send(contractId, items))) break;
      sent += items.length;
    }
    return sent;
  }

  /** One bulk: recorded, then sent; false when Smaregi did not take it (still down: the single pushes go on). */
  private async send(contractId: string, items: BulkItem[]): Promise<boolean> {
    const token = randomBytes(24).toString('base64url');
    // crash point: a SENDING bulk Smaregi may or may not have; its customers defer to it until it expires, then push
    await this.deps.models.bulks.create({ _id: token, contractId, state: 'SENDING', requestId: null, linkIds: items.map((i) => i.linkId), items, sentAt: this.deps.clock(), confirmedAt: null, reason: null });
    const callbackUrl = `${this.deps.callbackBaseUrl.replace(/\/$/, '')}${BULK_CALLBACK_PATH}/${token}`;
    try {
      const { requestId } = await this.deps.api.setCustomerPointsBulk(contractId, items.map((i) => ({ customerId: i.customerId, point: i.point })), callbackUrl);
      await this.deps.models.bulks.updateOne({ _id: token }, { $set: { state: 'SENT', requestId } }).exec();
      return true;
    } catch (error) {
      if (!(error instanceof SmaregiUnavailableError || error instanceof SmaregiRefusedError)) throw error;
      await this.deps.models.bulks.updateOne({ _id: token }, { $set: { state: 'FAILED', reason: error.message } }).exec();
      if (error instanceof SmaregiRefusedError) this.deps.logger.error({ contractId, status: error.status, reason: error.detail ?? error.message }, 'Smaregi refused a bulk point update; its customers are pushed one by one');
      return false;
    }
  }
}
