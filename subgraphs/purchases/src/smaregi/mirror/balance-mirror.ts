import express, { Router } from 'express';
import { z } from 'zod';
import { insertOnce } from '@omo/lib/core/claims';
import type { ParsedRequestOf, ReplyOf } from '@omo/lib/contracts/contract';
import { pointsContract } from '@omo/lib/contracts/points';
import type { purchasesContract } from '@omo/lib/contracts/purchases';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import { internalClient } from '@omo/lib/server/internal-api';
import { customerLinkId } from '../customers/customer-link.model';
import type { SmaregiDeps } from '../deps';
import { markId, pointMirrorModels, type PointMirrorModels, type PointPushDoc } from './point-mirror.models';
import { BULK_CALLBACK_PATH, BulkCatchUp } from './bulk-catch-up';
import { POINT_PUSH, PointPush, pointPushKey } from './point-push';

/** Smaregi's callback body: `{ requestId, result: [...] }` (the result's shape is not relied on). */
const callbackSchema = z.looseObject({ requestId: z.union([z.number().int(), z.string()]).transform(String).optional() });

/** How often the contracts are looked at for customers to catch up in bulk. */
const CATCH_UP_INTERVAL_MS = 30_000;

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

  /** The customers whose point field Smaregi refused to set, newest first: for staff. */
  refused(contractId?: string): Promise<PointPushDoc[]> {
    return this.models.pushes.find({ state: 'REFUSED', ...(contractId ? { contractId } : {}) }).sort({ updatedAt: -1 }).lean<PointPushDoc[]>().exec();
  }

  handlers(): Record<string, OutboxHandler> {
    return { [POINT_PUSH]: (payload) => this.push.run(String(payload.linkId)) };
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
