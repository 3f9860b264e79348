import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import { claimOnce, insertOnce, Leases } from '@omo/lib/core/claims';
import type { Connection } from '@omo/lib/core/db';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { CANONICAL_OBJECT_ID, parseInput } from '@omo/lib/core/validation';
import { MAX_AUDIENCE_MEMBERS, type AudienceSource, type AudienceSpec } from './audience';
import { deliveryMessagesSchema, isPersonalised } from './delivery-messages';
import type { DeliverySender, Personaliser } from './batch-sender';
import { deliveryModels, type DeliveryDoc, type DeliveryModels } from './delivery.model';
import { deliveryGauges } from './delivery-gauges';
import type { ScrapeGauge } from '@omo/lib/observability/metrics';
import { batchViews, deliveryView, deliveryViews, type DeliveryBatchView, type MessageDelivery } from './delivery-views';
import { DeliveryWorker, LEASE_MS } from './delivery-worker';
import type { QuietHours } from './quiet-hours';

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
    memberIds: z.array(z.string().regex(CANONICAL_OBJECT_ID, 'must be member ids')).min(1).max(MAX_AUDIENCE_MEMBERS).nullish(),
  }),
  messages: deliveryMessagesSchema,
  idempotencyKey: z.string().trim().min(1).max(200),
  scheduledAt: z.date().nullish(),
  dryRun: z.boolean().nullish(),
  actor: z.string().min(1),
});

const MAX_LIST = 100;

/**
 * The lease generations (lib/core/claims): `<delivery>#<n>` with a `resource` field. They are not the shape of the
 * former line_delivery_leases (`<delivery>:<n>`, `deliveryId`), so they live in a collection of their own, and
 * that one can be dropped once no worker of the older release runs. During a rolling deploy an old and a new
 * worker may both step the same delivery for a while: that spares less work and never sends twice, since the
 * batches' retry keys and their once-only results are what make a send happen once (README.md).
 */
const DELIVERY_LEASES = 'line_delivery_lease_generations';

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
    const leases = new Leases(deps.connection, { model: 'LineDeliveryLeaseGeneration', collection: DELIVERY_LEASES }, deps.clock, LEASE_MS);
    this.worker = new DeliveryWorker({ ...deps, models: this.models, leases, holder: deps.workerId ?? randomUUID() });
  }

  /** Deliveries' progress on /metrics (delivery-gauges.ts). */
  gauges(): ScrapeGauge[] {
    return deliveryGauges(this.models, this.deps.clock);
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

  /** The delivery recorded under this idempotencyKey, if any, without recording one. */
  async findByKey(idempotencyKey: string): Promise<MessageDelivery | null> {
    return this.get(deliveryIdOf(idempotencyKey));
  }

  private async record(raw: CreateDeliveryInput, replays: 'same-request' | 'any'): Promise<MessageDelivery> {
    const input = parseInput(createSchema, raw);
    const audience = audienceOf(input.spec);
    const personalised = isPersonalised(input.messages);
    if (personalised && !this.deps.personalise) throw new BadUserInputError('Placeholders such as {displayName} are not available for these messages', { field: 'messages' });
    const dryRun = input.dryRun ?? false;
    const id = deliveryIdOf(input.idempotencyKey);
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
      const users = [...new Map(resolved.map((r) => [r.lineUserId, r])).values()];
      const skippedNoConsent = users.filter((r) => r.noConsent).length;
      preview = { recipients: users.length, skippedBlocked: users.filter((r) => r.blocked && !r.noConsent).length, skippedNoConsent };
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
    const claim = await claimOnce(this.models.deliveries, doc);
    if (claim.won) return deliveryView(doc, null, null, []);
    // the same request, sent concurrently, got there first
    if (!claim.existing) throw new Error(`delivery ${id} clashed but cannot be read`);
    return this.replayed(claim.existing, expected);
  }

  async get(id: string): Promise<MessageDelivery | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** Several deliveries in four queries, in the order asked (null where none), for a DataLoader. */
  async getMany(ids: readonly string[]): Promise<(MessageDelivery | null)[]> {
    const docs = await this.models.deliveries.find({ _id: { $in: ids } }).lean<DeliveryDoc[]>().exec();
    const views = new Map((await deliveryViews(this.models, docs)).map((v) => [v.id, v]));
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
    return deliveryViews(this.models, docs);
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
    await insertOnce(this.models.cancels, { _id: id, cancelledAt: this.deps.clock(), actor });
    return (await this.get(id))!;
  }

  /** A delivery's batches and how each went, for operators and tests. */
  batches(id: string): Promise<DeliveryBatchView[]> {
    return batchViews(this.models, id);
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
    return (await deliveryViews(this.models, [doc]))[0]!;
  }
}

/** A delivery's id is its key's digest, so one key can only ever be one delivery. */
function deliveryIdOf(idempotencyKey: string): string {
  return createHash('sha256').update(`delivery:${idempotencyKey}`).digest('hex').slice(0, 24);
}
