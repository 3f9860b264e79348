import { insertOnce } from '@omo/lib/core/claims';
import type { Logger } from '@omo/lib/core/logger';
import { HOUR_MS } from '@omo/lib/core/time';
import { lineFailureOf, type LineClient, type LineFailure } from '../line-api/line.client';
import type { AudienceSource } from './audience';
import { messagesFor, type Personal } from './delivery-messages';
import type { BatchCheckpoint, BatchRecipient, DeliveryBatchDoc, DeliveryDoc, DeliveryModels } from './delivery.model';

/** Pushes in flight at once within a batch (LINE allows 2,000 requests a second). */
const PUSH_CONCURRENCY = 10;
const BASE_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** LINE keeps a retry key 24 hours from its first use; past that a resend could be delivered twice, so it stops. */
const RETRY_KEY_LIFETIME_MS = 23 * HOUR_MS;
const MAX_REASONS = 5;

export type Personaliser = (memberIds: string[]) => Promise<Map<string, Personal>>;
export type DeliverySender = Pick<LineClient, 'multicast' | 'push'>;

export interface BatchSenderDeps {
  models: DeliveryModels;
  lineClient: DeliverySender;
  audience: Pick<AudienceSource, 'consenting'>;
  personalise?: Personaliser;
  clock: () => Date;
  logger: Logger;
}

type Outcome = { sent: number; failed: number; skippedNoConsent: number; reason: string | null };

type SendOutcome =
  | ({ kind: 'done' } & Outcome)
  | { kind: 'retry'; at: Date; reason: string; checkpoint: BatchCheckpoint | null }
  | { kind: 'paused'; checkpoint: BatchCheckpoint };

type PushOutcome = { kind: 'sent' } | { kind: 'failed'; reason: string } | { kind: 'retry'; failure: LineFailure };

/**
 * Sends one frozen batch with its retry key(s) and records its outcome once. What LINE answered decides what
 * follows: sent, failed for good (its reason recorded), or retried later with the same keys.
 */
export class BatchSender {
  constructor(private readonly deps: BatchSenderDeps) {}

  /**
   * Sends the batch and records its outcome; returns when to try again, or null once it has an outcome. No LINE
   * call starts at or after `stopBy`: a personalised batch keeps a checkpoint there and goes on at the next step.
   */
  async send(delivery: DeliveryDoc, batchId: string, stopBy: Date): Promise<Date | null> {
    const { models, clock } = this.deps;
    if (await models.results.exists({ _id: batchId })) return null;
    const stored = await models.batches.findById(batchId).lean<DeliveryBatchDoc>().exec();
    if (!stored) throw new Error(`Delivery batch ${batchId} is missing`);
    const now = clock();
    let batch = stored;
    if (!batch.firstAttemptAt) {
      let withdrawn: string[] | null;
      try {
        withdrawn = await this.withdrawn(delivery, batch);
      } catch (error) {
        return this.retry(delivery, batch, { kind: 'retry', at: this.retryAt(batch.attempts, []), reason: `marketing consent unavailable: ${error instanceof Error ? error.message : String(error)}`, checkpoint: null });
      }
      // A crash after this write resends to the same users under the same keys; one before it asks consent again, nothing sent yet
      await models.batches.updateOne({ _id: batch._id }, { $set: { firstAttemptAt: now, withdrawn } });
      batch = { ...batch, firstAttemptAt: now, withdrawn };
    }
    const withdrawn = new Set(batch.withdrawn ?? []);
    const recipients = batch.recipients.filter((r) => !withdrawn.has(r.memberId));
    const skippedNoConsent = batch.recipients.length - recipients.length;
    if (now.getTime() - batch.firstAttemptAt!.getTime() > RETRY_KEY_LIFETIME_MS) {
      const done = batch.checkpoint ?? { next: 0, sent: 0, failed: 0, reasons: [] };
      const reason = 'LINE did not accept the batch within a day of the first attempt; not resent, as LINE forgets retry keys after 24 hours';
      await this.record(batch, { sent: done.sent, failed: done.failed + recipients.length - done.next, skippedNoConsent, reason });
      return null;
    }
    const outcome =
      recipients.length === 0
        ? { kind: 'done' as const, sent: 0, failed: 0, skippedNoConsent, reason: null }
        : batch.mode === 'multicast'
          ? await this.multicast(delivery, batch, recipients, skippedNoConsent)
          : await this.pushAll(delivery, batch, recipients, skippedNoConsent, stopBy);
    if (outcome.kind === 'done') {
      await this.record(batch, outcome);
      return null;
    }
    if (outcome.kind === 'paused') {
      await models.batches.updateOne({ _id: batch._id }, { $set: { checkpoint: outcome.checkpoint } });
      return clock();
    }
    return this.retry(delivery, batch, outcome);
  }

  private async retry(delivery: DeliveryDoc, batch: DeliveryBatchDoc, outcome: Extract<SendOutcome, { kind: 'retry' }>): Promise<Date> {
    this.deps.logger.warn({ deliveryId: delivery._id, batch: batch.index, attempts: batch.attempts + 1, reason: outcome.reason, retryAt: outcome.at }, 'delivery batch will be retried');
    await this.deps.models.batches.updateOne(
      { _id: batch._id },
      { $set: { attempts: batch.attempts + 1, nextAttemptAt: outcome.at, lastError: outcome.reason, checkpoint: outcome.checkpoint ?? batch.checkpoint } },
    );
    return outcome.at;
  }

  /**
   * A segment's members in the batch who no longer consent to marketing; null for a notification (named members),
   * which is about the member's own account and goes whatever they chose. Consent was judged at the start too:
   * this catches a withdrawal in the hours a large or scheduled delivery can take, at one members call per batch.
   */
  private async withdrawn(delivery: DeliveryDoc, batch: DeliveryBatchDoc): Promise<string[] | null> {
    if (delivery.audience.memberIds) return null;
    const consenting = await this.deps.audience.consenting(batch.recipients.map((r) => r.memberId));
    return batch.recipients.filter((r) => !consenting.has(r.memberId)).map((r) => r.memberId);
  }

  private async multicast(delivery: DeliveryDoc, batch: DeliveryBatchDoc, recipients: BatchRecipient[], skippedNoConsent: number): Promise<SendOutcome> {
    const to = recipients.map((r) => r.lineUserId);
    try {
      // a resend carries the batch's own key: if LINE took the first one, it answers 409 and nobody gets it twice
      await this.deps.lineClient.multicast(to, messagesFor(delivery.messages, null), batch.retryKey!);
      return { kind: 'done', sent: to.length, failed: 0, skippedNoConsent, reason: null };
    } catch (error) {
      const failure = lineFailureOf(error, this.deps.clock());
      if (failure.retryable) return { kind: 'retry', at: this.retryAt(batch.attempts, [failure]), reason: failure.reason, checkpoint: null };
      return { kind: 'done', sent: 0, failed: to.length, skippedNoConsent, reason: failure.reason };
    }
  }

  /** A personalised batch: one push per recipient with its own retry key, a few at a time, from the checkpoint on. */
  private async pushAll(delivery: DeliveryDoc, batch: DeliveryBatchDoc, recipients: BatchRecipient[], skippedNoConsent: number, stopBy: Date): Promise<SendOutcome> {
    const { clock } = this.deps;
    // `next` counts in `recipients`, which `withdrawn` fixed before the first push
    const progress: BatchCheckpoint = batch.checkpoint ?? { next: 0, sent: 0, failed: 0, reasons: [] };
    const remaining = recipients.slice(progress.next);
    let personal: Map<string, Personal>;
    try {
      personal = await this.deps.personalise!(remaining.map((r) => r.memberId));
    } catch (error) {
      const reason = `member profiles unavailable: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'retry', at: this.retryAt(batch.attempts, []), reason, checkpoint: null };
    }
    let { next, sent, failed } = progress;
    const reasons = [...progress.reasons];
    while (next < recipients.length) {
      if (clock().getTime() >= stopBy.getTime()) return { kind: 'paused', checkpoint: { next, sent, failed, reasons } };
      const chunk = recipients.slice(next, next + PUSH_CONCURRENCY);
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
    return { kind: 'done', sent, failed, skippedNoConsent, reason: reasons.length > 0 ? reasons.join('; ') : null };
  }

  /** Backoff doubling per attempt, or LINE's Retry-After when it sent one. */
  private retryAt(attempts: number, failures: LineFailure[]): Date {
    const retryAfter = Math.max(...failures.map((f) => f.retryAfterMs ?? 0), 0);
    const delay = retryAfter > 0 ? Math.min(retryAfter, MAX_RETRY_AFTER_MS) : backoffMs(attempts);
    return new Date(this.deps.clock().getTime() + delay);
  }

  /** Another worker may have recorded the batch first; both saw the same keys accepted, so either outcome is true. */
  private async record(batch: DeliveryBatchDoc, outcome: Outcome): Promise<void> {
    const { sent, failed, skippedNoConsent, reason } = outcome;
    await insertOnce(this.deps.models.results, { _id: batch._id, deliveryId: batch.deliveryId, index: batch.index, sent, failed, skippedNoConsent, reason, at: this.deps.clock() });
    const log = { deliveryId: batch.deliveryId, batch: batch.index, sent, failed, skippedNoConsent, reason };
    if (outcome.failed > 0) this.deps.logger.warn(log, 'delivery batch failed');
    else this.deps.logger.info(log, 'delivery batch sent');
  }
}

export function backoffMs(attempts: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** Math.min(attempts, 20), MAX_BACKOFF_MS);
}
