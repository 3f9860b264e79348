import { groupBy } from '@omo/lib/core/collections';
import type { AudienceSpec } from './audience';
import type { DeliveryMessage } from './delivery-messages';
import type { DeliveryBatchDoc, DeliveryCancelDoc, DeliveryDoc, DeliveryModels, DeliveryResultDoc, DeliveryStartDoc } from './delivery.model';

export type DeliveryStatus = 'SCHEDULED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** A delivery as callers see it; every number is counted from the batch results when it is read. */
export interface MessageDelivery {
  id: string;
  status: DeliveryStatus;
  dryRun: boolean;
  audience: AudienceSpec;
  messages: DeliveryMessage[];
  /** Placeholders filled per recipient, sent by push instead of multicast. */
  personalised: boolean;
  scheduledAt: Date | null;
  createdAt: Date;
  createdBy: string;
  /** Linked LINE users the audience matched when the job started (0 before), blocked ones included. */
  recipients: number;
  sent: number;
  failed: number;
  skippedBlocked: number;
  /** Recipients of a segment's message left out because their member had not consented to marketing at the start, or withdrew before their batch. */
  skippedNoConsent: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelledAt: Date | null;
  /** Why batches (or the start) failed, as LINE or the audience said; distinct, for operators. */
  failureReasons: string[];
}

export interface DeliveryBatchView {
  index: number;
  recipients: number;
  mode: 'multicast' | 'push';
  status: 'PENDING' | 'SENT' | 'FAILED';
  sent: number;
  failed: number;
  /** Left out as their member withdrew marketing consent before the batch went. */
  skippedNoConsent: number;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  reason: string | null;
}

/**
 * Deliveries as they stand, derived on every read from the records written once (start, cancel, results), since
 * no counter is kept in place: three queries for any number of deliveries.
 */
export async function deliveryViews(models: DeliveryModels, docs: DeliveryDoc[]): Promise<MessageDelivery[]> {
  if (docs.length === 0) return [];
  const ids = docs.map((d) => d._id);
  const [starts, cancels, results] = await Promise.all([
    models.starts.find({ _id: { $in: ids } }).lean<DeliveryStartDoc[]>().exec(),
    models.cancels.find({ _id: { $in: ids } }).lean<DeliveryCancelDoc[]>().exec(),
    models.results.find({ deliveryId: { $in: ids } }).lean<DeliveryResultDoc[]>().exec(),
  ]);
  const startOf = new Map(starts.map((s) => [s._id, s]));
  const cancelOf = new Map(cancels.map((c) => [c._id, c]));
  const resultsOf = groupBy(results, (r) => r.deliveryId);
  return docs.map((d) => deliveryView(d, startOf.get(d._id) ?? null, cancelOf.get(d._id) ?? null, resultsOf.get(d._id) ?? []));
}

export function deliveryView(doc: DeliveryDoc, start: DeliveryStartDoc | null, cancel: DeliveryCancelDoc | null, results: DeliveryResultDoc[]): MessageDelivery {
  const base = {
    id: doc._id,
    dryRun: doc.dryRun,
    audience: doc.audience,
    messages: doc.messages,
    personalised: doc.personalised,
    scheduledAt: doc.scheduledAt,
    createdAt: doc.createdAt,
    createdBy: doc.actor,
    cancelledAt: cancel?.cancelledAt ?? null,
  };
  if (doc.preview) {
    return { ...base, status: 'COMPLETED', ...doc.preview, skippedNoConsent: doc.preview.skippedNoConsent ?? 0, sent: 0, failed: 0, startedAt: doc.createdAt, finishedAt: doc.createdAt, failureReasons: [] };
  }
  const sent = results.reduce((n, r) => n + r.sent, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skippedNoConsent = (start?.skippedNoConsent ?? 0) + results.reduce((n, r) => n + (r.skippedNoConsent ?? 0), 0);
  const failureReasons = [...new Set([start?.failure, ...results.map((r) => r.reason)].filter((r): r is string => Boolean(r)))];
  const counts = { recipients: start?.recipients ?? 0, skippedBlocked: start?.skippedBlocked ?? 0, skippedNoConsent, sent, failed, startedAt: start?.startedAt ?? null, failureReasons };
  const finished = start !== null && results.length >= start.batches;
  if (start?.failure) return { ...base, ...counts, status: 'FAILED', finishedAt: start.startedAt };
  if (cancel && !finished) return { ...base, ...counts, status: 'CANCELLED', finishedAt: cancel.cancelledAt };
  if (!start) return { ...base, ...counts, status: 'SCHEDULED', finishedAt: null };
  if (!finished) return { ...base, ...counts, status: 'RUNNING', finishedAt: null };
  const finishedAt = results.reduce((at, r) => (r.at.getTime() > at.getTime() ? r.at : at), start.startedAt);
  return { ...base, ...counts, status: sent === 0 && failed > 0 ? 'FAILED' : 'COMPLETED', finishedAt };
}

/** A delivery's batches of the start that won, and how each went. */
export async function batchViews(models: DeliveryModels, id: string): Promise<DeliveryBatchView[]> {
  const start = await models.starts.findById(id).lean<DeliveryStartDoc>().exec();
  if (!start) return [];
  const [batches, results] = await Promise.all([
    models.batches.find({ deliveryId: id, freezeId: start.freezeId }).sort({ index: 1 }).lean<DeliveryBatchDoc[]>().exec(),
    models.results.find({ deliveryId: id }).lean<DeliveryResultDoc[]>().exec(),
  ]);
  const outcome = new Map(results.map((r) => [r._id, r]));
  return batches.map((b) => {
    const result = outcome.get(b._id);
    return {
      index: b.index,
      recipients: b.recipients.length,
      mode: b.mode,
      status: !result ? 'PENDING' : result.sent === 0 && result.failed > 0 ? 'FAILED' : 'SENT',
      sent: result?.sent ?? 0,
      failed: result?.failed ?? 0,
      skippedNoConsent: result?.skippedNoConsent ?? 0,
      attempts: b.attempts,
      nextAttemptAt: b.nextAttemptAt,
      lastError: b.lastError,
      reason: result?.reason ?? null,
    };
  });
}
