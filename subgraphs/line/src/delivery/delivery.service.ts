import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import { groupBy } from '@omo/lib/core/collections';
import { isDuplicateKeyError, type Connection } from '@omo/lib/core/db';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { parseInput } from '@omo/lib/core/validation';
import { MAX_AUDIENCE_MEMBERS, type AudienceSource, type AudienceSpec } from './audience';
import { DeliveryLeases } from './delivery-lease';
import { deliveryMessagesSchema, isPersonalised, type DeliveryMessage } from './delivery-messages';
import { deliveryModels, type DeliveryBatchDoc, type DeliveryCancelDoc, type DeliveryDoc, type DeliveryModels, type DeliveryResultDoc, type DeliveryStartDoc } from './delivery.model';
import { DeliveryWorker, LEASE_MS, type DeliverySender, type Personaliser } from './delivery-worker';
import type { QuietHours } from './quiet-hours';

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
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  reason: string | null;
}

export interface CreateDeliveryInput {
  spec: AudienceSpec;
  messages: unknown;
  idempotencyKey: string;
  scheduledAt?: Date | null;
  dryRun?: boolean | null;
  /** Who asked (recorded, e.g. "staff:<id>"); authorisation is the caller's job. */
  actor: string;
}

export interface DeliveryServiceDeps {
  connection: Connection;
  lineClient: DeliverySender;
  audience: AudienceSource;
  /** The values of placeholders such as {displayName}; without it such messages are refused. */
  personalise?: Personaliser;
  clock: () => Date;
  logger: Logger;
  quietHours: QuietHours | null;
  /** Names this worker in its leases, for operators; random by default. */
  workerId?: string;
}

const createSchema = z.object({
  spec: z.object({
    segmentId: z.string().trim().min(1).max(100).nullish(),
    definition: z.unknown().optional(),
    memberIds: z.array(z.string().regex(/^[0-9a-f]{24}$/, 'must be member ids')).min(1).max(MAX_AUDIENCE_MEMBERS).nullish(),
  }),
  messages: deliveryMessagesSchema,
  idempotencyKey: z.string().trim().min(1).max(200),
  scheduledAt: z.date().nullish(),
  dryRun: z.boolean().nullish(),
  actor: z.string().min(1),
});

const MAX_LIST = 100;

/** Exactly one of segmentId, definition and memberIds (duplicates dropped, in a stable order). */
function audienceOf(spec: z.infer<typeof createSchema>['spec']): AudienceSpec {
  const given = [spec.segmentId != null, spec.definition != null, spec.memberIds != null].filter(Boolean).length;
  if (given !== 1) throw new BadUserInputError('Give segmentId, definition or memberIds (one of them)', { field: 'segmentId' });
  if (spec.segmentId != null) return { segmentId: spec.segmentId };
  if (spec.memberIds != null) return { memberIds: [...new Set(spec.memberIds)].sort() };
  return { definition: spec.definition };
}

/**
 * Segmented LINE messages as durable jobs: recipients frozen into batches when a job starts, each batch sent with
 * its own retry key by whichever worker holds the delivery's lease. See README.md beside this file.
 */
export class DeliveryService {
  private readonly models: DeliveryModels;
  private readonly worker: DeliveryWorker;

  constructor(private readonly deps: DeliveryServiceDeps) {
    this.models = deliveryModels(deps.connection);
    const leases = new DeliveryLeases(deps.connection, deps.clock, deps.workerId ?? randomUUID(), LEASE_MS);
    this.worker = new DeliveryWorker({ ...deps, models: this.models, leases });
  }

  /**
   * Records a delivery (nothing is sent here) or, for a dry run, resolves the audience and reports its counts.
   * The same idempotencyKey again returns the same delivery; with a different request it is refused.
   */
  async create(raw: CreateDeliveryInput): Promise<MessageDelivery> {
    return this.record(raw, 'same-request');
  }

  /**
   * The delivery of this idempotencyKey: recorded now, or the one recorded before even if that asked for something
   * else (a notification whose wording staff changed since). For jobs that must send once per key, whatever changes.
   */
  createOnce(raw: CreateDeliveryInput): Promise<MessageDelivery> {
    return this.record(raw, 'any');
  }

  private async record(raw: CreateDeliveryInput, replays: 'same-request' | 'any'): Promise<MessageDelivery> {
    const input = parseInput(createSchema, raw);
    const audience = audienceOf(input.spec);
    const personalised = isPersonalised(input.messages);
    if (personalised && !this.deps.personalise) throw new BadUserInputError('Placeholders such as {displayName} are not available for these messages', { field: 'messages' });
    const dryRun = input.dryRun ?? false;
    const id = createHash('sha256').update(`delivery:${input.idempotencyKey}`).digest('hex').slice(0, 24);
    const requestDigest = createHash('sha256')
      .update(JSON.stringify([audience, input.messages, input.scheduledAt?.toISOString() ?? null, dryRun]))
      .digest('base64url');
    const expected = replays === 'any' ? null : requestDigest;
    const replay = await this.models.deliveries.findById(id).lean<DeliveryDoc>().exec();
    if (replay) return this.replayed(replay, expected);

    const now = this.deps.clock();
    let preview: DeliveryDoc['preview'] = null;
    if (dryRun) {
      const resolved = await this.deps.audience.resolve(audience);
      const users = new Map(resolved.map((r) => [r.lineUserId, r.blocked]));
      preview = { recipients: users.size, skippedBlocked: [...users.values()].filter(Boolean).length };
    }
    const doc: DeliveryDoc = {
      _id: id,
      idempotencyKey: input.idempotencyKey,
      requestDigest,
      audience,
      messages: input.messages,
      personalised,
      dryRun,
      scheduledAt: input.scheduledAt ?? null,
      createdAt: now,
      actor: input.actor,
      preview,
      open: !dryRun,
      dueAt: input.scheduledAt && input.scheduledAt.getTime() > now.getTime() ? input.scheduledAt : now,
      attempts: 0,
      lastError: null,
    };
    try {
      await this.models.deliveries.create(doc);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // the same request, sent concurrently, got there first
      const first = await this.models.deliveries.findById(id).lean<DeliveryDoc>().exec();
      if (!first) throw error;
      return this.replayed(first, expected);
    }
    return this.view(doc, null, null, []);
  }

  async get(id: string): Promise<MessageDelivery | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** Several deliveries in four queries, in the order asked (null where none), for a DataLoader. */
  async getMany(ids: readonly string[]): Promise<(MessageDelivery | null)[]> {
    const docs = await this.models.deliveries.find({ _id: { $in: ids } }).lean<DeliveryDoc[]>().exec();
    const views = new Map((await this.views(docs)).map((v) => [v.id, v]));
    return ids.map((id) => views.get(id) ?? null);
  }

  /** Newest first. */
  async list(options: { limit?: number; offset?: number } = {}): Promise<MessageDelivery[]> {
    const limit = Math.min(Math.max(options.limit ?? 20, 1), MAX_LIST);
    const docs = await this.models.deliveries
      .find()
      .sort({ createdAt: -1, _id: -1 })
      .skip(Math.max(options.offset ?? 0, 0))
      .limit(limit)
      .lean<DeliveryDoc[]>()
      .exec();
    return this.views(docs);
  }

  /**
   * Stops a delivery: one not started never starts; a running one stops before its next batch (a batch being
   * sent at that moment completes). A finished delivery cannot be cancelled; cancelling twice is the same cancel.
   */
  async cancel(id: string, actor: string): Promise<MessageDelivery> {
    const before = await this.get(id);
    if (!before) throw new NotFoundError('Delivery');
    if (before.status === 'CANCELLED') return before;
    if (before.status !== 'SCHEDULED' && before.status !== 'RUNNING') {
      throw new BadUserInputError(`This delivery is already ${before.status.toLowerCase()}`, { field: 'id' });
    }
    try {
      await this.models.cancels.create({ _id: id, cancelledAt: this.deps.clock(), actor });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return (await this.get(id))!;
  }

  /** A delivery's batches and how each went, for operators and tests. */
  async batches(id: string): Promise<DeliveryBatchView[]> {
    const start = await this.models.starts.findById(id).lean<DeliveryStartDoc>().exec();
    if (!start) return [];
    const [batches, results] = await Promise.all([
      this.models.batches.find({ deliveryId: id, freezeId: start.freezeId }).sort({ index: 1 }).lean<DeliveryBatchDoc[]>().exec(),
      this.models.results.find({ deliveryId: id }).lean<DeliveryResultDoc[]>().exec(),
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
        attempts: b.attempts,
        nextAttemptAt: b.nextAttemptAt,
        lastError: b.lastError,
        reason: result?.reason ?? null,
      };
    });
  }

  /** One pass of the worker over due deliveries; returns how many starts and batches it completed. */
  runDue(limit?: number): Promise<number> {
    return this.worker.runDue(limit);
  }

  /** Passes until one completes nothing (what is left waits for its time, or is leased by another worker). */
  async drain(maxPasses = 100): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < maxPasses; pass += 1) {
      const progress = await this.runDue();
      if (progress === 0) break;
      total += progress;
    }
    return total;
  }

  /** The background worker; several processes may each run one, leases keep them apart. */
  start(intervalMs: number): BackgroundTask {
    return repeat('line deliveries', intervalMs, () => this.runDue(), this.deps.logger);
  }

  /** `requestDigest` null: any request with the key gets the delivery recorded for it. */
  private async replayed(doc: DeliveryDoc, requestDigest: string | null): Promise<MessageDelivery> {
    if (requestDigest !== null && doc.requestDigest !== requestDigest) throw new BadUserInputError('This idempotencyKey was already used for a different delivery', { field: 'idempotencyKey' });
    return (await this.views([doc]))[0]!;
  }

  private async views(docs: DeliveryDoc[]): Promise<MessageDelivery[]> {
    if (docs.length === 0) return [];
    const ids = docs.map((d) => d._id);
    const [starts, cancels, results] = await Promise.all([
      this.models.starts.find({ _id: { $in: ids } }).lean<DeliveryStartDoc[]>().exec(),
      this.models.cancels.find({ _id: { $in: ids } }).lean<DeliveryCancelDoc[]>().exec(),
      this.models.results.find({ deliveryId: { $in: ids } }).lean<DeliveryResultDoc[]>().exec(),
    ]);
    const startOf = new Map(starts.map((s) => [s._id, s]));
    const cancelOf = new Map(cancels.map((c) => [c._id, c]));
    const resultsOf = groupBy(results, (r) => r.deliveryId);
    return docs.map((d) => this.view(d, startOf.get(d._id) ?? null, cancelOf.get(d._id) ?? null, resultsOf.get(d._id) ?? []));
  }

  private view(doc: DeliveryDoc, start: DeliveryStartDoc | null, cancel: DeliveryCancelDoc | null, results: DeliveryResultDoc[]): MessageDelivery {
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
      return { ...base, status: 'COMPLETED', ...doc.preview, sent: 0, failed: 0, startedAt: doc.createdAt, finishedAt: doc.createdAt, failureReasons: [] };
    }
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const failed = results.reduce((n, r) => n + r.failed, 0);
    const failureReasons = [...new Set([start?.failure, ...results.map((r) => r.reason)].filter((r): r is string => Boolean(r)))];
    const counts = { recipients: start?.recipients ?? 0, skippedBlocked: start?.skippedBlocked ?? 0, sent, failed, startedAt: start?.startedAt ?? null, failureReasons };
    const finished = start !== null && results.length >= start.batches;
    if (start?.failure) return { ...base, ...counts, status: 'FAILED', finishedAt: start.startedAt };
    if (cancel && !finished) return { ...base, ...counts, status: 'CANCELLED', finishedAt: cancel.cancelledAt };
    if (!start) return { ...base, ...counts, status: 'SCHEDULED', finishedAt: null };
    if (!finished) return { ...base, ...counts, status: 'RUNNING', finishedAt: null };
    const finishedAt = results.reduce((at, r) => (r.at.getTime() > at.getTime() ? r.at : at), start.startedAt);
    return { ...base, ...counts, status: sent === 0 && failed > 0 ? 'FAILED' : 'COMPLETED', finishedAt };
  }
}
