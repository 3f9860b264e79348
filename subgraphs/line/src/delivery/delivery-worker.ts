import { randomUUID } from 'node:crypto';
import { claimOnce, type Lease, type Leases } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import type { AudienceSource, Recipient } from './audience';
import { backoffMs, BatchSender, type DeliverySender, type Personaliser } from './batch-sender';
import type { DeliveryBatchDoc, DeliveryDoc, DeliveryModels, DeliveryStartDoc } from './delivery.model';
import { quietHoursEnd, type QuietHours } from './quiet-hours';

/** LINE's limit on a multicast's recipients. */
export const MULTICAST_BATCH_SIZE = 500;
/** Personalised batches are pushes, one request per recipient: smaller batches keep a step short. */
export const PUSH_BATCH_SIZE = 100;
export const LEASE_MS = 60_000;
/** No LINE call starts after this much of a lease, so a step ends (LINE_TIMEOUT_MS at most later) before it lapses. */
const WORK_BUDGET_MS = LEASE_MS / 2;

export interface WorkerDeps {
  models: DeliveryModels;
  leases: Leases;
  /** Names this worker in its leases. */
  holder: string;
  lineClient: DeliverySender;
  audience: AudienceSource;
  personalise?: Personaliser;
  clock: () => Date;
  logger: Logger;
  quietHours: QuietHours | null;
}

/** The `open` flag and `dueAt` are hints for finding work; a stale one costs a wasted look, never a wrong send. */
export class DeliveryWorker {
  private readonly sender: BatchSender;

  constructor(private readonly deps: WorkerDeps) {
    this.sender = new BatchSender(deps);
  }

  /** One step of every due delivery this worker can lease; returns how many starts and batches it completed. */
  async runDue(limit = 20): Promise<number> {
    const due = await this.deps.models.deliveries
      .find({ open: true, dueAt: { $lte: this.deps.clock() } })
      .sort({ dueAt: 1 })
      .limit(limit)
      .lean<DeliveryDoc[]>()
      .exec();
    let progress = 0;
    for (const delivery of due) {
      try {
        progress += await this.step(delivery);
      } catch (error) {
        this.deps.logger.error({ err: error, deliveryId: delivery._id }, 'delivery step failed');
      }
    }
    return progress;
  }

  /** Starts the delivery if it is time, then sends its batches in order until done, waiting, or out of lease. */
  async step(delivery: DeliveryDoc): Promise<number> {
    const lease = await this.deps.leases.acquire(delivery._id, this.deps.holder);
    if (!lease) return 0;
    try {
      return await this.work(delivery, lease);
    } finally {
      await this.deps.leases.release(lease);
    }
  }

  private async work(delivery: DeliveryDoc, lease: Lease): Promise<number> {
    const { models, clock } = this.deps;
    const id = delivery._id;
    let progress = 0;
    let start = await models.starts.findById(id).lean<DeliveryStartDoc>().exec();
    if (!start) {
      if (await this.cancelled(id)) return this.close(id, null, progress);
      const wait = this.notBefore(delivery, clock());
      if (wait) return this.dueAt(id, wait, progress);
      start = await this.freeze(delivery);
      if (!start) return progress;
      progress += 1;
    }
    if (start.failure) return this.close(id, start, progress);
    const batches = await models.batches
      .find({ deliveryId: id, freezeId: start.freezeId }, { recipients: 0 })
      .sort({ index: 1 })
      .lean<Omit<DeliveryBatchDoc, 'recipients'>[]>()
      .exec();
    const done = new Set((await models.results.find({ deliveryId: id }, { _id: 1 }).lean<{ _id: string }[]>().exec()).map((r) => r._id));
    const stopBy = new Date(lease.acquiredAt.getTime() + WORK_BUDGET_MS);
    for (const batch of batches) {
      if (done.has(batch._id)) continue;
      const now = clock();
      if (now.getTime() >= stopBy.getTime()) return this.dueAt(id, now, progress);
      // a cancellation stops the job between batches
      if (await this.cancelled(id)) return this.close(id, start, progress);
      const quietEnd = quietHoursEnd(this.deps.quietHours, now);
      if (quietEnd) return this.dueAt(id, quietEnd, progress);
      if (batch.nextAttemptAt.getTime() > now.getTime()) return this.dueAt(id, batch.nextAttemptAt, progress);
      const next = await this.sender.send(delivery, batch._id, stopBy);
      if (next) return this.dueAt(id, next, progress);
      progress += 1;
    }
    return this.close(id, start, progress);
  }

  /** When a delivery not started yet may start: its scheduled time, then the end of quiet hours; null for now. */
  private notBefore(delivery: DeliveryDoc, now: Date): Date | null {
    if (delivery.scheduledAt && delivery.scheduledAt.getTime() > now.getTime()) return delivery.scheduledAt;
    return quietHoursEnd(this.deps.quietHours, now);
  }

  /**
   * Freezes the recipients: resolves the audience, writes its batches under a fresh freeze id, then claims the
   * start by inserting it. A worker that crashed after writing batches, or lost the race to a second one, left
   * batches no start names: they are never sent, and are deleted when the job closes.
   */
  private async freeze(delivery: DeliveryDoc): Promise<DeliveryStartDoc | null> {
    const { models, clock, logger } = this.deps;
    let resolved: Recipient[];
    try {
      resolved = await this.deps.audience.resolve(delivery.audience);
    } catch (error) {
      if (error instanceof AppError) return this.claimStart({ _id: delivery._id, freezeId: randomUUID(), startedAt: clock(), recipients: 0, skippedBlocked: 0, skippedNoConsent: 0, batches: 0, failure: error.message });
      const attempts = delivery.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ deliveryId: delivery._id, attempts, err: message }, 'delivery audience could not be resolved; will retry');
      await models.deliveries.updateOne({ _id: delivery._id }, { $set: { attempts, lastError: message, dueAt: new Date(clock().getTime() + backoffMs(delivery.attempts)) } });
      return null;
    }
    const recipients = uniqueByLineUser(resolved);
    const sendable = recipients.filter((r) => !r.blocked && !r.noConsent);
    const skippedNoConsent = recipients.filter((r) => r.noConsent).length;
    const freezeId = randomUUID();
    const mode = delivery.personalised ? 'push' : 'multicast';
    const size = mode === 'push' ? PUSH_BATCH_SIZE : MULTICAST_BATCH_SIZE;
    const now = clock();
    const batches: DeliveryBatchDoc[] = [];
    for (let index = 0; index * size < sendable.length; index += 1) {
      batches.push({
        _id: `${delivery._id}:${freezeId}:${index}`,
        deliveryId: delivery._id,
        freezeId,
        index,
        mode,
        retryKey: mode === 'multicast' ? randomUUID() : null,
        recipients: sendable.slice(index * size, (index + 1) * size).map((r) => ({ memberId: r.memberId, lineUserId: r.lineUserId, retryKey: mode === 'push' ? randomUUID() : null })),
        attempts: 0,
        nextAttemptAt: now,
        firstAttemptAt: null,
        withdrawn: null,
        lastError: null,
        checkpoint: null,
      });
    }
    if (batches.length > 0) await models.batches.insertMany(batches, { ordered: true });
    const start = await this.claimStart({ _id: delivery._id, freezeId, startedAt: now, recipients: recipients.length, skippedBlocked: recipients.length - sendable.length - skippedNoConsent, skippedNoConsent, batches: batches.length, failure: null });
    if (start.freezeId !== freezeId) await models.batches.deleteMany({ deliveryId: delivery._id, freezeId });
    else logger.info({ deliveryId: delivery._id, recipients: start.recipients, skippedBlocked: start.skippedBlocked, skippedNoConsent, batches: start.batches }, 'delivery started');
    return start;
  }

  /** The start that won: ours, or the one another worker inserted first. */
  private async claimStart(start: DeliveryStartDoc): Promise<DeliveryStartDoc> {
    const claim = await claimOnce(this.deps.models.starts, start);
    if (claim.won) return claim.doc;
    if (!claim.existing) throw new Error(`delivery start ${start._id} clashed but cannot be read`);
    return claim.existing;
  }

  private async cancelled(id: string): Promise<boolean> {
    return (await this.deps.models.cancels.exists({ _id: id })) !== null;
  }

  private async dueAt(id: string, at: Date, progress: number): Promise<number> {
    await this.deps.models.deliveries.updateOne({ _id: id }, { $set: { dueAt: at } });
    return progress;
  }

  /** Nothing left to do: the delivery leaves the workers' view, with its leases and any unclaimed batches. */
  private async close(id: string, start: DeliveryStartDoc | null, progress: number): Promise<number> {
    await this.deps.models.deliveries.updateOne({ _id: id }, { $set: { open: false } });
    if (start) await this.deps.models.batches.deleteMany({ deliveryId: id, freezeId: { $ne: start.freezeId } });
    await this.deps.leases.clear(id);
    return progress;
  }
}

/** A LINE user matched twice (two links in a stale read) is sent to once. */
function uniqueByLineUser(recipients: Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => !seen.has(r.lineUserId) && Boolean(seen.add(r.lineUserId)));
}
