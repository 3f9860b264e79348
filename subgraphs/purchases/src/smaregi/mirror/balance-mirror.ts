import express, { Router } from 'express';
import { z } from 'zod';
import { requireAdmin, requireStaff, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { NotFoundError } from '@omo/lib/core/errors';
import type { ParsedRequestOf, ReplyOf } from '@omo/lib/contracts/contract';
import { pointsContract } from '@omo/lib/contracts/points';
import type { purchasesContract } from '@omo/lib/contracts/purchases';
import { RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import { internalClient } from '@omo/lib/server/internal-api';
import { customerLinkId } from '../customers/customer-link.model';
import type { SmaregiDeps } from '../deps';
import { SmaregiRefusedError, SmaregiUnavailableError } from '../smaregi-api';
import { markId, pointMirrorModels, type PointMirrorModels, type PointPushDoc } from './point-mirror.models';
import { BULK_CALLBACK_PATH, BulkCatchUp } from './bulk-catch-up';
import { CONTRACT_REFUSED_RETRY_MS, POINT_PUSH, PointPush, pointPushKey } from './point-push';

/** Smaregi's callback body: `{ requestId, result: [...] }` (the result's shape is not relied on). */
const callbackSchema = z.looseObject({ requestId: z.union([z.number().int(), z.string()]).transform(String).optional() });

/** A push retrying this long is shown to staff as out of step. */
const STUCK_AFTER_MS = 3_600_000;
const OUT_OF_STEP_LIMIT = 200;
/** How often the contracts are looked at for customers to catch up in bulk. */
const CATCH_UP_INTERVAL_MS = 30_000;

/** The outbox item of a customer's reconcile (reconcile, run apart from whatever asked for it), and its key. */
export const RECONCILE = 'smaregiReconcile';
export const reconcileKey = (contractId: string, customerId: string): string => `smaregi-reconcile:${contractId}:${customerId}`;

type BalanceRoute = typeof purchasesContract.routes.smaregiBalance;

/**
 * Our balance back to Smaregi (docs/smaregi-setup.md §4): points reports each change of a member's balance
 * (smaregiBalance); each of the member's Smaregi customers keeps it as a mark, and the customer's outbox item sets
 * its point field to the newest mark (point-push.ts), retried with back-off and Smaregi's Retry-After.
 */
export class BalanceMirror {
  readonly models: PointMirrorModels;
  private readonly push: PointPush;
  /** Only with SMAREGI_CALLBACK_BASE_URL: Smaregi must reach us with the bulk's result. */
  private readonly bulk: BulkCatchUp | null;

  constructor(private readonly deps: SmaregiDeps) {
    this.models = pointMirrorModels(deps.connection);
    const logger = deps.logger.child({ part: 'smaregi-mirror' });
    this.push = new PointPush({ api: deps.api, models: this.models, links: deps.links, logger, clock: deps.clock });
    const callbackBaseUrl = deps.config.SMAREGI_CALLBACK_BASE_URL;
    this.bulk = callbackBaseUrl
      ? new BulkCatchUp({ api: deps.api, contracts: deps.contracts, models: this.models, push: this.push, outbox: deps.outbox, callbackBaseUrl, logger, clock: deps.clock })
      : null;
  }

  /** points' smaregiBalance: keep the mark for each of the member's customers and make sure a push runs. */
  async mark(input: ParsedRequestOf<BalanceRoute>): Promise<ReplyOf<BalanceRoute>> {
    const links = await this.deps.links.find({ memberId: input.memberId }).lean().exec();
    if (links.length === 0) return { status: 'NOT_MAPPED' };
    for (const link of links) {
      await insertOnce(this.models.marks, {
        _id: markId(link._id, input.seq, input.asOf),
        linkId: link._id,
        contractId: link.contractId,
        customerId: link.customerId,
        memberId: link.memberId,
        seq: input.seq,
        asOf: input.asOf,
        balance: input.balance,
        receivedAt: this.deps.clock(),
      });
      // crash point: the mark is kept and no push armed for it. points has no answer yet, so its outbox calls
      // again; that mark is already there (a duplicate is no error) and this call arms the push.
      await this.deps.outbox().rearm(pointPushKey(link._id), POINT_PUSH, { linkId: link._id });
    }
    return { status: 'QUEUED' };
  }

  /** A customer was just linked to this member: ask points for the balance now and mark it. */
  async syncMember(memberId: string): Promise<void> {
    const points = internalClient(pointsContract, { directory: this.deps.services, internalSecret: this.deps.internalSecret, service: 'purchases' });
    const state = await points.balanceState({ memberId });
    await this.mark({ memberId, seq: state.seq, balance: state.balance, asOf: state.asOf });
  }

  /**
   * The register may have changed the customer's point field without our ledger moving (a ポイント加算 / 減算 at the
   * register, a sale or edit we did not apply): read the field from Smaregi and, when it is not our balance, push our
   * newest mark again whatever the push record says. IN_STEP: it is ours already (so our own point updates, which
   * Smaregi records as transactions too, never loop), or Smaregi no longer has the customer; CORRECTED: a push is
   * armed; NOT_MAPPED: no link. Smaregi unavailable throws, for the caller's retry.
   */
  async reconcile(contractId: string, customerId: string): Promise<'IN_STEP' | 'CORRECTED' | 'NOT_MAPPED'> {
    const link = await this.deps.links.findById(customerLinkId(contractId, customerId)).lean().exec();
    if (!link) return 'NOT_MAPPED';
    const newest = await this.push.newest(link._id);
    if (!newest) {
      // linked but no balance kept yet (the link's own sync still to run): asking points now is the same as its sync
      await this.syncMember(link.memberId);
      return 'CORRECTED';
    }
    const point = await this.deps.api.getCustomerPoint(contractId, customerId);
    if (point === null || point === Math.max(0, newest.balance)) return 'IN_STEP';
    // RETRYING, not PUSHED, so the armed run does not skip the PATCH as done. crash point: the record says
    // RETRYING with no push armed; the caller (its event's outbox item) has no answer, so it calls again and arms it
    await this.push.record(newest, 'RETRYING', { reason: `Smaregi showed ${point} points, ours is ${Math.max(0, newest.balance)}` });
    await this.deps.outbox().rearm(pointPushKey(link._id), POINT_PUSH, { linkId: link._id });
    return 'CORRECTED';
  }

  /**
   * A reconcile of the customer to run from its own outbox item, after the caller's outcome is written: Smaregi
   * refusing or down for it never changes what the caller decided. Armed again for every transaction that asks,
   * so a register change made while one runs is looked at by a run after it.
   */
  armReconcile(contractId: string, customerId: string): Promise<void> {
    return this.deps.outbox().rearm(reconcileKey(contractId, customerId), RECONCILE, { contractId, customerId });
  }

  /**
   * The reconcile item's run. Smaregi unavailable: again after its Retry-After; Smaregi refusing the app in the whole
   * contract (a 403 plan without points, a 401 after a fresh token): again in 10 minutes, as a push does, once staff
   * set it right; refusing this customer: logged, done (a push of the customer meets the same and is shown to staff).
   */
  private async runReconcile(contractId: string, customerId: string): Promise<{ outcome: string; reason?: string }> {
    try {
      return { outcome: await this.reconcile(contractId, customerId) };
    } catch (error) {
      if (error instanceof SmaregiUnavailableError) throw new RetryLater(error.message, error.retryAfterMs === null ? {} : { afterMs: error.retryAfterMs });
      if (!(error instanceof SmaregiRefusedError)) throw error;
      const reason = error.detail ?? error.message;
      if (error.contractWide) {
        this.deps.logger.error({ contractId, status: error.status, reason }, 'Smaregi refused the app in this contract; the customer’s points are reconciled once staff set it right');
        throw new RetryLater(reason, { afterMs: CONTRACT_REFUSED_RETRY_MS });
      }
      this.deps.logger.error({ contractId, customerId, status: error.status, reason }, 'Smaregi refused to show a customer’s points; not reconciled');
      return { outcome: 'REFUSED', reason };
    }
  }

  /** The customers whose point field Smaregi refused to set, newest first: for staff. */
  refused(contractId?: string): Promise<PointPushDoc[]> {
    return this.models.pushes.find({ state: 'REFUSED', ...(contractId ? { contractId } : {}) }).sort({ updatedAt: -1 }).lean<PointPushDoc[]>().exec();
  }

  /**
   * Staff: REFUSED, and RETRYING for over STUCK_AFTER_MS since it went RETRYING (retryingSince: every attempt moves
   * updatedAt, and a contract-wide refusal retries every 10 minutes for ever), newest first. A record from before
   * retryingSince is judged by its updatedAt until its next attempt sets it.
   */
  outOfStep(caller: Caller, contractId: string | null): Promise<PointPushDoc[]> {
    requireStaff(caller);
    const stuckSince = new Date(this.deps.clock().getTime() - STUCK_AFTER_MS);
    const filter = {
      $or: [{ state: 'REFUSED' }, { state: 'RETRYING', retryingSince: { $lte: stuckSince } }, { state: 'RETRYING', retryingSince: { $exists: false }, updatedAt: { $lte: stuckSince } }],
      ...(contractId ? { contractId } : {}),
    };
    return this.models.pushes.find(filter).sort({ updatedAt: -1 }).limit(OUT_OF_STEP_LIMIT).lean<PointPushDoc[]>().exec();
  }

  /** Admin: the customer's push run again now, not trusting the record (set RETRYING first). */
  async pushAgain(caller: Caller, contractId: string, customerId: string): Promise<PointPushDoc> {
    requireAdmin(caller);
    const link = await this.deps.links.findById(customerLinkId(contractId, customerId)).lean().exec();
    if (!link) throw new NotFoundError('Smaregi customer');
    const newest = await this.push.newest(link._id);
    if (!newest) await this.syncMember(link.memberId);
    else await this.push.record(newest, 'RETRYING', { reason: 'pushed again by an admin' });
    await this.deps.outbox().runNow(pointPushKey(link._id), POINT_PUSH, { linkId: link._id }, { ignoreBackoff: true });
    const record = await this.models.pushes.findById(link._id).lean<PointPushDoc>().exec();
    if (!record) throw new NotFoundError('Smaregi customer');
    return record;
  }

  handlers(): Record<string, OutboxHandler> {
    return {
      [POINT_PUSH]: (payload) => this.push.run(String(payload.linkId)),
      [RECONCILE]: (payload) => this.runReconcile(String(payload.contractId), String(payload.customerId)),
    };
  }

  /** One catch-up round (the background runs it every 30 s): how many customers went in bulk updates. */
  catchUp(): Promise<number> {
    return this.bulk ? this.bulk.run() : Promise.resolve(0);
  }

  /** The bulk point update's callback (POST /webhooks/smaregi/point-bulk-callback/<token>): 404 for a token not ours. */
  routes(): Router {
    const router = Router();
    const bulk = this.bulk;
    if (!bulk) return router;
    router.post(`${BULK_CALLBACK_PATH}/:token`, express.json({ limit: '1mb' }), async (req, res) => {
      const body = callbackSchema.safeParse(req.body ?? {});
      const found = await bulk.confirm(String(req.params.token), body.success ? (body.data.requestId ?? null) : null);
      res.status(found ? 200 : 404).json(found ? { ok: true } : { error: { code: 'NOT_FOUND', message: 'No such bulk update' } });
    });
    return router;
  }

  background(): BackgroundTask[] {
    return this.bulk ? [repeat('smaregi bulk catch-up', CATCH_UP_INTERVAL_MS, () => this.catchUp(), this.deps.logger)] : [];
  }
}
