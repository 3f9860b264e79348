import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { lineFailureOf, type LineClient, type LineFailure } from '../line-api/line.client';
import type { AudienceSource, Recipient } from './audience';
import type { DeliveryLease, DeliveryLeases } from './delivery-lease';
import { messagesFor, type Personal } from './delivery-messages';
import type { BatchCheckpoint, DeliveryBatchDoc, DeliveryDoc, DeliveryModels, DeliveryStartDoc } from './delivery.model';
import { quietHoursEnd, type QuietHours } from './quiet-hours';

/** LINE's limit on a multicast's recipients. */
export const MULTICAST_BATCH_SIZE = 500;
/** Personalised batches are pushes, one request per recipient: smaller batches keep a step short. */
export const PUSH_BATCH_SIZE = 100;
/** Pushes in flight at once within a batch (LINE allows 2,000 requests a second). */
const PUSH_CONCURRENCY = 10;
export const LEASE_MS = 60_000;
/** No LINE call starts after this much of a lease, so a step ends (LINE_TIMEOUT_MS at most later) before it lapses. */
const WORK_BUDGET_MS = LEASE_MS / 2;
const BASE_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** LINE keeps a retry key 24 hours from its first use; past that a resend could be delivered twice, so it stops. */
const RETRY_KEY_LIFETIME_MS = 23 * 3_600_000;
const MAX_REASONS = 5;

export type Personaliser = (memberIds: string[]) => Promise<Map<string, Personal>>;
export type DeliverySender = Pick<LineClient, 'multicast' | 'push'>;

export interface WorkerDeps {
  models: DeliveryModels;
  leases: DeliveryLeases;
  lineClient: DeliverySender;
  audience: AudienceSource;
  personalise?: Personaliser;
  clock: () => Date;
  logger: Logger;
  quietHours: QuietHours | null;
}

type SendOutcome =
  | { kind: 'done'; sent: number; failed: number; reason: string | null }
  | { kind: 'retry'; at: Date; reason: string; checkpoint: BatchCheckpoint | null }
  | { kind: 'paused'; checkpoint: BatchCheckpoint };

type PushOutcome = { kind: 'sent' } | { kind: 'failed'; reason: string } | { kind: 'retry'; failure: LineFailure };

/** The `open` flag and `dueAt` are hints for finding work; a stale one costs a wasted look, never a wrong send. */
export class DeliveryWorker {
  constructor(private readonly deps: WorkerDeps) {}

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
    const lease = await this.deps.leases.acquire(delivery._id);
    if (!lease) return 0;
    try {
      return await this.work(delivery, lease);
    } finally {
      await this.deps.leases.release(lease);
    }
  }

  private async work(delivery: DeliveryDoc, lease: DeliveryLease): Promise<number> {
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
    for (const batch of batches) {
      if (done.has(batch._id)) continue;
      const now = clock();
      if (now.getTime() - lease.acquiredAt.getTime() >= WORK_BUDGET_MS) return this.dueAt(id, now, progress);
      // a cancellation stops the job between batches
      if (await this.cancelled(id)) return this.close(id, start, progress);
      const quietEnd = quietHoursEnd(this.deps.quietHours, now);
      if (quietEnd) return this.dueAt(id, quietEnd, progress);
      if (batch.nextAttemptAt.getTime() > now.getTime()) return this.dueAt(id, batch.nextAttemptAt, progress);
      const next = await this.sendBatch(delivery, batch._id, lease);
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
      if (error instanceof AppError) return this.claimStart({ _id: delivery._id, freezeId: randomUUID(), startedAt: clock(), recipients: 0, skippedBlocked: 0, batches: 0, failure: error.message });
      const attempts = delivery.attempts + 1;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ deliveryId: delivery._id, attempts, err: message }, 'delivery audience could not be resolved; will retry');
      await models.deliveries.updateOne({ _id: delivery._id }, { $set: { attempts, lastError: message, dueAt: new Date(clock().getTime() + backoffMs(delivery.attempts)) } });
      return null;
    }
    const recipients = uniqueByLineUser(resolved);
    const sendable = recipients.filter((r) => !r.blocked);
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
        lastError: null,
        checkpoint: null,
      });
    }
    if (batches.length > 0) await models.batches.insertMany(batches, { ordered: true });
    const start = await this.claimStart({ _id: delivery._id, freezeId, startedAt: now, recipients: recipients.length, skippedBlocked: recipients.length - sendable.length, batches: batches.length, failure: null });
    if (start.freezeId !== freezeId) await models.batches.deleteMany({ deliveryId: delivery._id, freezeId });
    else logger.info({ deliveryId: delivery._id, recipients: start.recipients, skippedBlocked: start.skippedBlocked, batches: start.batches }, 'delivery started');
    return start;
  }

  /** The start that won: ours, or the one another worker inserted first. */
  private async claimStart(start: DeliveryStartDoc): Promise<DeliveryStartDoc> {
    try {
      await this.deps.models.starts.create(start);
      return start;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const first = await this.deps.models.starts.findById(start._id).lean<DeliveryStartDoc>().exec();
      if (!first) throw error;
      return first;
    }
  }

  /** Sends one batch and records its outcome; returns when to try again, or null once it has an outcome. */
  private async sendBatch(delivery: DeliveryDoc, batchId: string, lease: DeliveryLease): Promise<Date | null> {
    const { models, clock } = this.deps;
    if (await models.results.exists({ _id: batchId })) return null;
    const batch = await models.batches.findById(batchId).lean<DeliveryBatchDoc>().exec();
    if (!batch) throw new Error(`Delivery batch ${batchId} is missing`);
    const now = clock();
    if (batch.firstAttemptAt && now.getTime() - batch.firstAttemptAt.getTime() > RETRY_KEY_LIFETIME_MS) {
      const done = batch.checkpoint ?? { next: 0, sent: 0, failed: 0, reasons: [] };
      const reason = 'LINE did not accept the batch within a day of the first attempt; not resent, as LINE forgets retry keys after 24 hours';
      await this.record(batch, { sent: done.sent, failed: done.failed + batch.recipients.length - done.next, reason });
      return null;
    }
    if (!batch.firstAttemptAt) await models.batches.updateOne({ _id: batch._id }, { $set: { firstAttemptAt: now } });
    const outcome = batch.mode === 'multicast' ? await this.multicast(delivery, batch) : await this.pushAll(delivery, batch, lease);
    if (outcome.kind === 'done') {
      await this.record(batch, outcome);
      return null;
    }
    if (outcome.kind === 'paused') {
      await models.batches.updateOne({ _id: batch._id }, { $set: { checkpoint: outcome.checkpoint } });
      return clock();
    }
    this.deps.logger.warn({ deliveryId: delivery._id, batch: batch.index, attempts: batch.attempts + 1, reason: outcome.reason, retryAt: outcome.at }, 'delivery batch will be retried');
    await models.batches.updateOne(
      { _id: batch._id },
      { $set: { attempts: batch.attempts + 1, nextAttemptAt: outcome.at, lastError: outcome.reason, checkpoint: outcome.checkpoint ?? batch.checkpoint } },
    );
    return outcome.at;
  }

  private async multicast(delivery: DeliveryDoc, batch: DeliveryBatchDoc): Promise<SendOutcome> {
    const to = batch.recipients.map((r) => r.lineUserId);
    try {
      // a resend carries the batch's own key: if LINE took the first one, it answers 409 and nobody gets it twice
      await this.deps.lineClient.multicast(to, messagesFor(delivery.messages, null), batch.retryKey!);
      return { kind: 'done', sent: to.length, failed: 0, reason: null };
    } catch (error) {
      const failure = lineFailureOf(error, this.deps.clock());
      if (failure.retryable) return { kind: 'retry', at: this.retryAt(batch.attempts, [failure]), reason: failure.reason, checkpoint: null };
      return { kind: 'done', sent: 0, failed: to.length, reason: failure.reason };
    }
  }

  /** A personalised batch: one push per recipient with its own retry key, a few at a time, from the checkpoint on. */
  private async pushAll(delivery: DeliveryDoc, batch: DeliveryBatchDoc, lease: DeliveryLease): Promise<SendOutcome> {
    const { clock } = this.deps;
    const progress: BatchCheckpoint = batch.checkpoint ?? { next: 0, sent: 0, failed: 0, reasons: [] };
    const remaining = batch.recipients.slice(progress.next);
    let personal: Map<string, Personal>;
    try {
      personal = await this.deps.personalise!(remaining.map((r) => r.memberId));
    } catch (error) {
      const reason = `member profiles unavailable: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'retry', at: this.retryAt(batch.attempts, []), reason, checkpoint: null };
    }
    let { next, sent, failed } = progress;
    const reasons = [...progress.reasons];
    while (next < batch.recipients.length) {
      if (clock().getTime() - lease.acquiredAt.getTime() >= WORK_BUDGET_MS) return { kind: 'paused', checkpoint: { next, sent, failed, reasons } };
      const chunk = batch.recipients.slice(next, next + PUSH_CONCURRENCY);
      const outcomes = await Promise.all(
        chunk.map(async (r): Promise<PushOutcome> => {
          const profile = personal.get(r.memberId);
          if (!profile) return { kind: 'failed', reason: 'member not found' };
          try {
            await this.deps.lineClient.push(r.lineUserId, messagesFor(delivery.messages, profile), r.retryKey!);
            return { kind: 'sent' };
          } catch (error) {
            const failure = lineFailureOf(error, clock());
            return failure.retryable ? { kind: 'retry', failure } : { kind: 'failed', reason: failure.reason };
          }
        }),
      );
      const retries = outcomes.flatMap((o) => (o.kind === 'retry' ? [o.failure] : []));
      if (retries.length > 0) {
        // the chunk is pushed again from its start: those LINE took answer 409 and count as sent then
        return { kind: 'retry', at: this.retryAt(batch.attempts, retries), reason: retries[0]!.reason, checkpoint: { next, sent, failed, reasons } };
      }
      for (const o of outcomes) {
        if (o.kind === 'sent') sent += 1;
        else if (o.kind === 'failed') {
          failed += 1;
          if (!reasons.includes(o.reason) && reasons.length < MAX_REASONS) reasons.push(o.reason);
        }
      }
      next += chunk.length;
    }
    return { kind: 'done', sent, failed, reason: reasons.length > 0 ? reasons.join('; ') : null };
  }

  /** Backoff doubling per attempt, or LINE's Retry-After when it sent one. */
  private retryAt(attempts: number, failures: LineFailure[]): Date {
    const retryAfter = Math.max(...failures.map((f) => f.retryAfterMs ?? 0), 0);
    const delay = retryAfter > 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_MS) : backoffMs(attempts);
    return new Date(this.deps.clock().getTime() + delay);
  }

  private async record(batch: DeliveryBatchDoc, outcome: { sent: number; failed: number; reason: string | null }): Promise<void> {
    try {
      await this.deps.models.results.create({ _id: batch._id, deliveryId: batch.deliveryId, index: batch.index, sent: outcome.sent, failed: outcome.failed, reason: outcome.reason, at: this.deps.clock() });
    } catch (error) {
      // another worker recorded it first; both saw the same keys accepted, so either outcome is true
      if (!isDuplicateKeyError(error)) throw error;
    }
    const log = { deliveryId: batch.deliveryId, batch: batch.index, sent: outcome.sent, failed: outcome.failed, reason: outcome.reason };
    if (outcome.failed > 0) this.deps.logger.warn(log, 'delivery batch failed');
    else this.deps.logger.info(log, 'delivery batch sent');
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

export function backoffMs(attempts: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** Math.min(attempts, 20), MAX_BACKOFF_MS);
}

/** A LINE user matched twice (two links in a stale read) is sent to once. */
function uniqueByLineUser(recipients: Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => !seen.has(r.lineUserId) && Boolean(seen.add(r.lineUserId)));
}
