import { type Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { MAX_YEN } from '@omo/lib/core/limits';
import { AlreadyExistsError, AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc, PurchaseLineDoc } from '../models/purchase.model';
import type { RefundDoc, RefundLineDoc } from '../models/refund.model';
import type { StoreDoc } from '../models/store.model';
import { digestOf, idFromKey } from './ids';
import { assertCanBackdate, assertCanIdentifyMember } from './purchase-access';
import type { MembersClient } from './members.client';
import { parseInput } from '@omo/lib/core/validation';

export interface RecordPurchaseInput {
  idempotencyKey: string;
  storeId: string;
  memberCode?: string | null;
  memberId?: string | null;
  externalId?: string | null;
  lines: { sku: string; name: string; unitPrice: number; quantity: number; category?: string | null }[];
  discount?: number | null;
  total: number;
  pointsToRedeem?: number | null;
  occurredAt?: Date | null;
}

export interface RefundPurchaseInput {
  purchaseId: string;
  idempotencyKey: string;
  lines?: { sku: string; quantity: number }[] | null;
  amount?: number | null;
}

const key = z.string().trim().min(1).max(200);
const yen = (max: number) => z.number().int('must be a whole number of yen').min(0, 'must not be negative').max(max);
const lineSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  unitPrice: yen(10_000_000),
  quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000),
  category: z.string().trim().max(100).nullish(),
});
const recordSchema = z.object({
  idempotencyKey: key,
  storeId: z.string().regex(/^[0-9a-f]{24}$/i, 'is not a store id'),
  memberCode: z.string().trim().min(1).max(40).nullish(),
  memberId: z.string().regex(/^[0-9a-f]{24}$/i, 'is not a member id').nullish(),
  externalId: z.string().trim().min(1).max(100).nullish(),
  lines: z.array(lineSchema).min(1, 'must have at least one line').max(200),
  discount: yen(MAX_YEN).nullish(),
  total: z.number().int('must be a whole number of yen'),
  pointsToRedeem: z.number().int('must be a whole number').min(0, 'must not be negative').max(MAX_YEN).nullish(),
  occurredAt: z.date().nullish(),
});
const refundSchema = z.object({
  purchaseId: z.string().regex(/^[0-9a-f]{24}$/i, 'is not a purchase id'),
  idempotencyKey: key,
  lines: z.array(z.object({ sku: z.string().trim().min(1).max(64), quantity: z.number().int('must be a whole number').min(1, 'must be at least 1') })).min(1).max(200).nullish(),
  amount: z.number().int('must be a whole number of yen').min(1, 'must be at least 1').max(MAX_YEN).nullish(),
});

/** Registers' clocks drift; a purchase dated further ahead than this is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** An external-id claim whose purchase never appeared is a crashed attempt after this long. */
const ABANDONED_CLAIM_MS = 60_000;
const MAX_REFUND_ATTEMPTS = 50;

/** Who may record and refund at a store: its POS keys, staff, and services (webhooks). */
export function assertCanTradeAt(caller: Caller, storeId: string): void {
  const actor = requireAuthenticated(caller);
  if (actor.kind === 'staff' || actor.kind === 'service') return;
  if (actor.kind === 'pos' && actor.storeIds.includes(storeId)) return;
  throw new ForbiddenError(actor.kind === 'pos' ? 'This key may only record purchases at its own stores' : 'Only POS keys and staff record purchases');
}

/** Refund value after refunding some line units: the units' share of the purchase total, cumulative and floored. */
function lineValue(purchase: PurchaseDoc, quantities: Record<string, number>): number {
  if (purchase.subtotal === 0) return 0;
  const gross = purchase.lines.reduce((sum, line) => sum + line.unitPrice * Math.min(quantities[line.sku] ?? 0, line.quantity), 0);
  return Number((BigInt(purchase.total) * BigInt(gross)) / BigInt(purchase.subtotal));
}

export interface RefundState {
  refundedAmount: number;
  refundedQuantities: Record<string, number>;
  fullyRefunded: boolean;
}

export function refundStateOf(purchase: PurchaseDoc, refunds: RefundDoc[]): RefundState {
  const last = refunds.reduce<RefundDoc | null>((head, r) => (!head || r.seq > head.seq ? r : head), null);
  const refundedQuantities = last?.refundedQuantitiesAfter ?? {};
  const allUnits = purchase.lines.every((line) => (refundedQuantities[line.sku] ?? 0) >= line.quantity);
  const refundedAmount = last?.refundedAmountAfter ?? 0;
  return { refundedAmount, refundedQuantities, fullyRefunded: Boolean(last) && (allUnits || refundedAmount >= purchase.total) };
}

/** A purchase or refund whose points are still unsettled this long after it was stored is checked by rearmStuck. */
const STUCK_AFTER_MS = 5 * 60_000;

/**
 * Purchases and refunds. A purchase is stored PENDING_POINTS and its settlement queued in the outbox before the
 * points service is called, so a crash or an unreachable points service loses nothing; the settlement is keyed by
 * the purchase id, so retries double nothing.
 */
export class PurchaseService {
  constructor(
    private readonly models: PurchasesModels,
    private readonly members: MembersClient,
    private readonly outbox: Outbox,
    private readonly clock: () => Date,
    private readonly limits: { posMaxBackdateHours: number },
  ) {}

  async record(caller: Caller, raw: RecordPurchaseInput): Promise<PurchaseDoc> {
    const input = parseInput(recordSchema, raw);
    assertCanTradeAt(caller, input.storeId);
    assertCanIdentifyMember(caller, input);
    const store = await this.store(input.storeId);
    const lines: PurchaseLineDoc[] = input.lines.map((l) => ({ sku: l.sku, name: l.name, unitPrice: l.unitPrice, quantity: l.quantity, category: l.category ?? null }));
    if (new Set(lines.map((l) => l.sku)).size !== lines.length) throw new BadUserInputError('Each sku may appear on one line only', { field: 'lines' });
    const subtotal = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
    // points settles nothing above this: accepted here, such a purchase could never complete
    if (subtotal > MAX_YEN) throw new BadUserInputError(`The lines add up to ${subtotal} yen, more than the ${MAX_YEN} a purchase may carry`, { field: 'lines' });
    const discount = input.discount ?? 0;
    if (discount > subtotal) throw new BadUserInputError('discount is more than the subtotal', { field: 'discount' });
    if (input.total !== subtotal - discount) {
      throw new BadUserInputError(`total ${input.total} does not match the lines: subtotal ${subtotal} − discount ${discount} = ${subtotal - discount}`, { field: 'total' });
    }
    const pointsApplied = input.pointsToRedeem ?? 0;
    if (pointsApplied > input.total) throw new BadUserInputError('pointsToRedeem is more than the total', { field: 'pointsToRedeem' });
    if (input.memberCode && input.memberId) throw new BadUserInputError('Give memberCode or memberId, not both', { field: 'memberCode' });
    if (pointsApplied > 0 && !input.memberCode && !input.memberId) throw new BadUserInputError('Redeeming points needs a member', { field: 'pointsToRedeem' });
    const now = this.clock();
    const occurredAt = input.occurredAt ?? now;
    if (occurredAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) throw new BadUserInputError('occurredAt is in the future', { field: 'occurredAt' });

    const purchaseId = idFromKey(`purchase:${input.storeId}:${input.idempotencyKey}`);
    const requestDigest = digestOf([input.memberCode ?? null, input.memberId ?? null, input.externalId ?? null, lines, discount, pointsApplied, input.occurredAt?.toISOString() ?? null]);
    const replay = await this.models.purchases.findById(purchaseId).lean<PurchaseDoc>().exec();
    if (replay) return this.replayed(replay, requestDigest);
    // after the replay: a register resending a purchase it sent in time learns its outcome however late it is
    assertCanBackdate(caller, occurredAt, now, this.limits.posMaxBackdateHours);

    const memberId = input.memberCode
      ? await this.members.resolveCode(input.memberCode)
      : input.memberId
        ? await this.members.activeMemberId(input.memberId)
        : null;
    if (input.externalId) await this.claimExternalId(input.storeId, input.externalId, purchaseId);
    const settleKey = `settle:${purchaseId.toHexString()}`;
    if (memberId) await this.outbox.enqueue(settleKey, 'settle', { purchaseId: purchaseId.toHexString() });
    try {
      await this.models.purchases.create({
        _id: purchaseId,
        idempotencyKey: input.idempotencyKey,
        requestDigest,
        storeId: input.storeId,
        externalId: input.externalId ?? null,
        memberId,
        channel: store.kind === 'ONLINE' ? 'ONLINE' : 'STORE',
        lines,
        subtotal,
        discount,
        total: input.total,
        pointsApplied,
        amountPaid: input.total - pointsApplied,
        occurredAt,
        // a guest purchase has no points to settle
        state: memberId ? 'PENDING_POINTS' : 'COMPLETED',
        actor: actorOf(caller),
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // the same request, sent concurrently, got there first
      const first = await this.models.purchases.findById(purchaseId).lean<PurchaseDoc>().exec();
      if (!first) throw error;
      return this.replayed(first, requestDigest);
    }
    return memberId ? this.settleNow(purchaseId) : this.get(purchaseId);
  }

  async refund(caller: Caller, raw: RefundPurchaseInput): Promise<PurchaseDoc> {
    const input = parseInput(refundSchema, raw);
    if (!input.lines === !input.amount) throw new BadUserInputError('Give lines or amount (one of them)', { field: 'lines' });
    const purchase = await this.models.purchases.findById(input.purchaseId).lean<PurchaseDoc>().exec();
    if (!purchase) throw new NotFoundError('Purchase');
    assertCanTradeAt(caller, purchase.storeId);
    if (purchase.state === 'REJECTED') throw new BadUserInputError('A rejected purchase cannot be refunded', { field: 'purchaseId' });
    if (purchase.state === 'SETTLEMENT_FAILED') {
      throw new BadUserInputError('This purchase’s points could not be settled; staff must resolve it before it is refunded', { field: 'purchaseId' });
    }
    if (purchase.state === 'PENDING_POINTS') {
      throw new BadUserInputError('This purchase’s points are still being settled; retry the refund shortly', { field: 'purchaseId' });
    }
    const refundId = idFromKey(`refund:${input.purchaseId}:${input.idempotencyKey}`);
    const requestDigest = digestOf([input.lines ?? null, input.amount ?? null]);
    const replay = await this.models.refunds.findById(refundId).lean<RefundDoc>().exec();
    if (replay) {
      if (replay.requestDigest !== requestDigest) throw new BadUserInputError('This idempotencyKey was already used for a different refund', { field: 'idempotencyKey' });
      return this.settleRefundNow(replay);
    }
    const reverseKey = `reverse:${refundId.toHexString()}`;
    if (purchase.memberId) await this.outbox.enqueue(reverseKey, 'reverse', { refundId: refundId.toHexString() });

    for (let attempt = 1; attempt <= MAX_REFUND_ATTEMPTS; attempt += 1) {
      const previous = await this.models.refunds.findOne({ purchaseId: input.purchaseId }).sort({ seq: -1 }).lean<RefundDoc>().exec();
      const refund = this.nextRefund(purchase, previous, input, refundId, requestDigest, caller);
      try {
        await this.models.refunds.create(refund);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const mine = await this.models.refunds.findById(refundId).lean<RefundDoc>().exec();
        if (mine) return this.settleRefundNow(mine);
        continue; // another refund of this purchase took the seq: recompute from it
      }
      await this.recordRefundFact(purchase, refund);
      return this.settleRefundNow(refund);
    }
    throw new Error(`Could not record a refund of ${input.purchaseId}`);
  }

  findByExternalId(storeId: string, externalId: string): Promise<PurchaseDoc | null> {
    return this.models.purchases.findOne({ storeId, externalId }).lean<PurchaseDoc>().exec();
  }

  async get(id: Types.ObjectId | string): Promise<PurchaseDoc> {
    const purchase = await this.models.purchases.findById(id).lean<PurchaseDoc>().exec();
    if (!purchase) throw new NotFoundError('Purchase');
    return purchase;
  }

  /** Internal API for member merges: the merged member's purchases and stats become the survivor's. */
  async repointMember(input: { fromMemberId: string; toMemberId: string }): Promise<{ moved: number }> {
    const moved = await this.models.purchases.updateMany({ memberId: input.fromMemberId }, { $set: { memberId: input.toMemberId } });
    await this.models.facts.updateMany({ memberId: input.fromMemberId }, { $set: { memberId: input.toMemberId } });
    return { moved: moved.modifiedCount };
  }

  private nextRefund(purchase: PurchaseDoc, previous: RefundDoc | null, input: z.infer<typeof refundSchema>, refundId: Types.ObjectId, requestDigest: string, caller: Caller): RefundDoc {
    const refundedBefore = previous?.refundedAmountAfter ?? 0;
    const quantitiesBefore = previous?.refundedQuantitiesAfter ?? {};
    const lineValueBefore = previous?.lineValueAfter ?? 0;
    const left = purchase.total - refundedBefore;
    let amount: number;
    let lines: RefundLineDoc[] = [];
    const quantitiesAfter = { ...quantitiesBefore };
    let lineValueAfter = lineValueBefore;
    if (input.lines) {
      for (const requested of input.lines) {
        const line = purchase.lines.find((l) => l.sku === requested.sku);
        if (!line) throw new BadUserInputError(`The purchase has no line with sku ${requested.sku}`, { field: 'lines' });
        const already = quantitiesAfter[line.sku] ?? 0;
        if (already + requested.quantity > line.quantity) {
          throw new BadUserInputError(`Only ${line.quantity - already} of ${line.sku} can still be refunded`, { field: 'lines' });
        }
        quantitiesAfter[line.sku] = already + requested.quantity;
      }
      lineValueAfter = lineValue(purchase, quantitiesAfter);
      amount = Math.min(lineValueAfter - lineValueBefore, left);
      const before = lineValueBefore;
      lines = input.lines.map((r) => ({ sku: r.sku, quantity: r.quantity, amount: 0 }));
      // show each line's share of this refund's amount (the last line takes the rounding)
      let assigned = 0;
      lines.forEach((l, i) => {
        const only = lineValue(purchase, { ...quantitiesBefore, [l.sku]: (quantitiesBefore[l.sku] ?? 0) + l.quantity }) - before;
        l.amount = i === lines.length - 1 ? amount - assigned : Math.min(only, amount - assigned);
        assigned += l.amount;
      });
    } else {
      amount = input.amount ?? 0;
      if (amount > left) throw new BadUserInputError(`Only ${left} yen can still be refunded`, { field: 'amount' });
    }
    if (amount <= 0 && !input.lines) throw new BadUserInputError('Nothing left to refund', { field: 'amount' });
    return {
      _id: refundId,
      purchaseId: purchase._id.toHexString(),
      seq: (previous?.seq ?? 0) + 1,
      idempotencyKey: input.idempotencyKey,
      requestDigest,
      amount,
      lines,
      refundedAmountAfter: refundedBefore + amount,
      refundedQuantitiesAfter: quantitiesAfter,
      lineValueAfter,
      actor: actorOf(caller),
      createdAt: this.clock(),
      pointsSettledAt: purchase.memberId ? null : this.clock(),
    };
  }

  private async replayed(purchase: PurchaseDoc, requestDigest: string): Promise<PurchaseDoc> {
    if (purchase.requestDigest !== requestDigest) {
      throw new BadUserInputError('This idempotencyKey was already used for a different purchase', { field: 'idempotencyKey' });
    }
    return purchase.state === 'PENDING_POINTS' ? this.settleNow(purchase._id) : this.outcome(purchase);
  }

  /**
   * Settles now if points answers; a purchase refused for lack of points is REJECTED and reported as such. The
   * purchase is stored and pending here, so a finished item is rearmed: a request that died after queueing it,
   * retried after the worker had dropped it for want of the purchase, would otherwise leave the purchase pending
   * for good. An attempt already running (the worker's, or another resend's) is joined, not doubled: a second
   * attempt could redeem what the first was refused.
   */
  private async settleNow(purchaseId: Types.ObjectId): Promise<PurchaseDoc> {
    const key = `settle:${purchaseId.toHexString()}`;
    try {
      // the register is waiting (or resending to learn the outcome): try now, whatever the back-off says
      await this.outbox.runNow(key, 'settle', { purchaseId: purchaseId.toHexString() }, { ignoreBackoff: true, joinRunning: true });
    } catch {
      // stays queued; the worker settles it
    }
    return this.outcome(await this.get(purchaseId));
  }

  /**
   * What the register is told. A purchase that only earns may be acknowledged PENDING_POINTS: its points follow.
   * One that redeems may not: the cashier would hand over a discount the points service may still refuse. Until
   * its settlement is known it answers SERVICE_UNAVAILABLE, and the register resends the same request (same
   * idempotencyKey) to learn the outcome — COMPLETED, INSUFFICIENT_POINTS, or SETTLEMENT_FAILED (returned as the
   * purchase: its points were not used) — as docs/pos-integration.md says.
   */
  private outcome(purchase: PurchaseDoc): PurchaseDoc {
    if (purchase.state === 'REJECTED') {
      throw new AppError(purchase.rejectionReason ?? 'Not enough points', 'INSUFFICIENT_POINTS', { purchaseId: purchase._id.toHexString() });
    }
    if (purchase.state === 'PENDING_POINTS' && purchase.pointsApplied > 0) {
      throw new AppError(
        'The points to redeem could not be confirmed yet; resend the same request with the same idempotencyKey',
        'SERVICE_UNAVAILABLE',
        { purchaseId: purchase._id.toHexString() },
      );
    }
    return purchase;
  }

  /**
   * The safety net under the outbox: purchases still PENDING_POINTS and refunds still unsettled after `olderThanMs`
   * whose item is finished or gone (dropped before the record was stored, or a result written over a re-arm by a
   * database without atomic conditional updates) get their item re-armed. Items still waiting are left to the
   * worker. Returns how many were re-armed. Safe to run anywhere, any number of times: re-arming is idempotent
   * and the handlers are keyed by the purchase or refund id.
   */
  async rearmStuck(olderThanMs = STUCK_AFTER_MS, limit = 500): Promise<number> {
    const before = new Date(this.clock().getTime() - olderThanMs);
    const [purchases, refunds] = await Promise.all([
      this.models.purchases.find({ state: 'PENDING_POINTS', createdAt: { $lt: before } }, { _id: 1 }).limit(limit).lean<{ _id: Types.ObjectId }[]>().exec(),
      this.models.refunds.find({ pointsSettledAt: null, createdAt: { $lt: before } }, { _id: 1 }).limit(limit).lean<{ _id: Types.ObjectId }[]>().exec(),
    ]);
    const stuck = [
      ...purchases.map((p) => ({ key: `settle:${p._id.toHexString()}`, type: 'settle', payload: { purchaseId: p._id.toHexString() } })),
      ...refunds.map((r) => ({ key: `reverse:${r._id.toHexString()}`, type: 'reverse', payload: { refundId: r._id.toHexString() } })),
    ];
    let rearmed = 0;
    for (const { key, type, payload } of stuck) {
      const item = await this.outbox.find(key);
      if (item && !item.doneAt) continue;
      await this.outbox.rearm(key, type, payload);
      rearmed += 1;
    }
    return rearmed;
  }

  /** Like settleNow: a stored refund whose points are unsettled gets its item rearmed. */
  private async settleRefundNow(refund: RefundDoc): Promise<PurchaseDoc> {
    const key = `reverse:${refund._id.toHexString()}`;
    try {
      if (refund.pointsSettledAt) await this.outbox.process(key, { ignoreBackoff: true });
      else await this.outbox.runNow(key, 'reverse', { refundId: refund._id.toHexString() }, { ignoreBackoff: true });
    } catch {
      // stays queued; the worker settles it
    }
    return this.get(refund.purchaseId);
  }

  private async store(storeId: string): Promise<StoreDoc> {
    const store = await this.models.stores.findById(storeId).lean<StoreDoc>().exec();
    if (!store) throw new NotFoundError('Store');
    return store;
  }

  private async claimExternalId(storeId: string, externalId: string, purchaseId: Types.ObjectId): Promise<void> {
    const claimId = `${storeId}:${externalId}`;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await this.models.externalIds.create({ _id: claimId, purchaseId: purchaseId.toHexString(), createdAt: this.clock() });
        return;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const claim = await this.models.externalIds.findById(claimId).lean().exec();
      if (!claim || claim.purchaseId === purchaseId.toHexString()) return;
      const holder = await this.models.purchases.exists({ _id: claim.purchaseId });
      if (holder || this.clock().getTime() - claim.createdAt.getTime() < ABANDONED_CLAIM_MS) {
        throw new AlreadyExistsError(`Receipt ${externalId} is already recorded at this store`, { field: 'externalId' });
      }
      await this.models.externalIds.deleteOne({ _id: claimId, purchaseId: claim.purchaseId });
    }
    throw new AlreadyExistsError(`Receipt ${externalId} is being recorded by another request`, { field: 'externalId' });
  }

  async recordPurchaseFact(purchase: PurchaseDoc): Promise<void> {
    if (!purchase.memberId) return;
    await this.insertFact({ _id: `purchase:${purchase._id.toHexString()}`, memberId: purchase.memberId, storeId: purchase.storeId, channel: purchase.channel, count: 1, amount: purchase.amountPaid, occurredAt: purchase.occurredAt });
  }

  /** Spend falls by the refunded share of the money paid (points used are not spend). */
  async recordRefundFact(purchase: PurchaseDoc, refund: RefundDoc): Promise<void> {
    if (!purchase.memberId) return;
    await this.insertFact({ _id: `refund:${refund._id.toHexString()}`, memberId: purchase.memberId, storeId: purchase.storeId, channel: purchase.channel, count: 0, amount: -this.paidShare(purchase, refund), occurredAt: purchase.occurredAt });
  }

  /** The money part of a refund: cumulative share of amountPaid, so all refunds add up to exactly amountPaid. */
  paidShare(purchase: PurchaseDoc, refund: RefundDoc): number {
    if (purchase.total === 0) return 0;
    const share = (value: number) => Number((BigInt(purchase.amountPaid) * BigInt(value)) / BigInt(purchase.total));
    return share(refund.refundedAmountAfter) - share(refund.refundedAmountAfter - refund.amount);
  }

  private async insertFact(fact: { _id: string; memberId: string; storeId: string; channel: 'STORE' | 'ONLINE'; count: number; amount: number; occurredAt: Date }): Promise<void> {
    try {
      await this.models.facts.create(fact);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}

