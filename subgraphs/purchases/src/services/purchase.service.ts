import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import { actorOf, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AlreadyExistsError, AppError, BadUserInputError, NotFoundError, type ErrorCode } from '@omo/lib/core/errors';
import { parseInput } from '@omo/lib/core/validation';
import type { Outbox, OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseCouponDoc, PurchaseDoc, RegisterSaleDoc } from '../models/purchase.model';
import type { StoreDoc } from '../models/store.model';
import type { CouponQuotes, QuoteRequest } from './coupon-quotes';
import { assertSameRequest, digestOf, purchaseIdFor } from './idempotency';
import type { MembersClient } from './members.client';
import type { AppliedCode } from './online-coupons';
import { assertCanBackdate, assertCanIdentifyMember, assertCanTradeAt } from './purchase-access';
import { recordSchema, type RecordPurchaseInput } from './purchase-inputs';
import { claimableUntil, newReceiptCode } from './receipt-code';
import { totalsOf } from './purchase-totals';
import { settleItem } from './settlement-items';

/** Idempotency keys the Smaregi connector records its register sales under (smaregi:<contractId>:<transactionHeadId>). */
const CONNECTOR_KEY_PREFIX = 'smaregi:';

/** A purchase's coupons as they shape its amounts, and the member they make it (the coupons' when none was named). */
interface CouponTerms {
  memberId: string | null;
  coupons: PurchaseCouponDoc[];
  couponDiscount: number;
  discount: number;
  total: number;
}

/** An online order's coupons as the webhook found them: quoted by points, or waiting for points to be asked. */
export interface OnlineCouponTerms {
  coupons: PurchaseCouponDoc[];
  unquoted: AppliedCode[];
}

/** A sale a register connector has made already (Smaregi): settled with the overdraft allowed, and where it came from. */
export interface RegisterSaleTerms {
  overdraft: 'ALLOW';
  register: RegisterSaleDoc;
}

/** Registers' clocks drift; a purchase dated further ahead than this is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** An external-id claim whose purchase never appeared is a crashed attempt after this long. */
const ABANDONED_CLAIM_MS = 60_000;

/**
 * Recording purchases. A purchase is stored PENDING_POINTS and its settlement queued in the outbox before the
 * points service is called, so a crash or an unreachable points service loses nothing; the settlement is keyed by
 * the purchase id, so retries double nothing. What follows a settlement is the outbox handler's
 * (points-settlement.ts); this service only runs the item and reads what it left.
 */
export class PurchaseService {
  /** Bounded: a process records sales at however many stores there are. */
  private readonly storeKinds = new LRUCache<string, StoreDoc['kind']>({ max: 10_000 });

  constructor(
    private readonly models: PurchasesModels,
    private readonly members: MembersClient,
    private readonly coupons: CouponQuotes,
    private readonly outbox: Outbox,
    private readonly clock: () => Date,
    private readonly limits: { posMaxBackdateHours: number; receiptClaimDays: number },
  ) {}

  /**
   * Records a purchase. Coupon codes (a register's) are quoted by points before anything is written, so a refused
   * code writes nothing; their discounts come off the register's total (docs/pos-integration.md, "Coupons"), and
   * the settlement consumes them STRICT. `online` are an online order's coupons, whose discount Shopify has already
   * taken off the order's amounts: they are recorded as given and consumed RECORD, and the codes points could not
   * be asked about yet are kept for the settlement to ask (a guest's order too, for they may make it a member's).
   * `sale`: a sale a connected register has made already, which its settlement may overdraw (never a caller's).
   */
  async record(caller: Caller, raw: RecordPurchaseInput, online?: OnlineCouponTerms, sale?: RegisterSaleTerms): Promise<PurchaseDoc> {
    return (await this.recordOrReplay(caller, raw, online, sale)).purchase;
  }

  /** As record, saying whether this call stored the purchase (`created`) or answered one stored before. */
  async recordOrReplay(caller: Caller, raw: RecordPurchaseInput, online?: OnlineCouponTerms, sale?: RegisterSaleTerms): Promise<{ purchase: PurchaseDoc; created: boolean }> {
    const input = parseInput(recordSchema, raw);
    // the connector's keys name Smaregi's transactions: taken first by another caller, they would block its sale
    if (!sale && input.idempotencyKey.startsWith(CONNECTOR_KEY_PREFIX)) throw new BadUserInputError(`idempotencyKey may not start with ${CONNECTOR_KEY_PREFIX} (the Smaregi connector's)`, { field: 'idempotencyKey' });
    assertCanTradeAt(caller, input.storeId);
    assertCanIdentifyMember(caller, input);
    const storeKind = await this.storeKind(input.storeId);
    const { lines, subtotal, discount, pointsApplied } = totalsOf(input);
    if (input.memberCode && input.memberId) throw new BadUserInputError('Give memberCode or memberId, not both', { field: 'memberCode' });
    if (pointsApplied > 0 && !input.memberCode && !input.memberId) throw new BadUserInputError('Redeeming points needs a member', { field: 'pointsToRedeem' });
    const now = this.clock();
    const occurredAt = input.occurredAt ?? now;
    if (occurredAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) throw new BadUserInputError('occurredAt is in the future', { field: 'occurredAt' });

    const purchaseId = purchaseIdFor(input.storeId, input.idempotencyKey);
    const codes = input.couponCodes ?? (online ? [...online.coupons, ...online.unquoted].map((c) => c.code) : []);
    // a purchase without coupons keeps the digest it had before coupons existed, so its resend still matches
    const requestDigest = digestOf([input.memberCode ?? null, input.memberId ?? null, input.externalId ?? null, lines, discount, pointsApplied, input.occurredAt?.toISOString() ?? null, ...(codes.length ? [codes] : [])]);
    const replay = await this.models.purchases.findById(purchaseId).lean<PurchaseDoc>().exec();
    if (replay) return { purchase: await this.replayed(replay, requestDigest), created: false };
    // after the replay: a register resending a purchase it sent in time learns its outcome however late it is
    assertCanBackdate(caller, occurredAt, now, this.limits.posMaxBackdateHours);

    const named = input.memberCode
      ? await this.members.resolveCode(input.memberCode)
      : input.memberId
        ? await this.members.activeMemberId(input.memberId)
        : null;
    const channel = storeKind === 'ONLINE' ? 'ONLINE' : 'STORE';
    const couponTerms = online
      ? this.onlineTerms(online, named, input.total, discount)
      : await this.registerTerms(codes, { memberId: named, storeId: input.storeId, channel, lines, amount: input.total, occurredAt }, discount, pointsApplied);
    const memberId = couponTerms.memberId;
    const unquoted = online?.unquoted ?? [];
    const settles = Boolean(memberId) || unquoted.length > 0;
    if (input.externalId) await this.claimExternalId(input.storeId, input.externalId, purchaseId);
    const item = settleItem(purchaseId);
    const queued = settles ? await this.outbox.enqueueItem(item.key, item.type, item.payload) : null;
    // a guest at a register (a POS key's sale, a Smaregi guest sale) may claim the points later by the receipt's
    // code; an online guest order has no receipt, and its customer's account is the one to buy with
    const receipt = settles || online ? {} : { receiptCode: await newReceiptCode(this.models.receiptCodes, purchaseId, now), receiptClaimableUntil: claimableUntil(occurredAt, this.limits.receiptClaimDays) };
    const purchase: Omit<PurchaseDoc, 'createdAt' | 'updatedAt'> = {
      _id: purchaseId,
      idempotencyKey: input.idempotencyKey,
      requestDigest,
      storeId: input.storeId,
      externalId: input.externalId ?? null,
      memberId,
      channel,
      lines,
      subtotal,
      discount: couponTerms.discount,
      total: couponTerms.total,
      couponDiscount: couponTerms.couponDiscount,
      coupons: couponTerms.coupons,
      couponPolicy: online ? 'RECORD' : 'STRICT',
      unquotedCoupons: unquoted,
      pointsApplied,
      amountPaid: couponTerms.total - pointsApplied,
      occurredAt,
      // a guest purchase has no points to settle
      state: settles ? 'PENDING_POINTS' : 'COMPLETED',
      actor: actorOf(caller),
      ...(sale ? { overdraft: sale.overdraft, register: sale.register } : {}),
      ...receipt,
    };
    // createdAt and updatedAt are the schema's timestamps, which the insert sets
    const claim = await claimOnce(this.models.purchases, purchase as PurchaseDoc);
    if (!claim.won) {
      // the same request, sent concurrently, got there first
      if (!claim.existing) throw new Error(`purchase ${purchaseId.toHexString()} clashed on insert and is gone`);
      return { purchase: await this.replayed(claim.existing, requestDigest), created: false };
    }
    const stored = settles ? await this.settleNow(purchaseId, queued ? { item: queued, purchase: claim.doc } : undefined) : await this.get(purchaseId);
    return { purchase: stored, created: true };
  }

  /**
   * Crash points with coupons: the quote writes nothing, and a coupon is consumed only by the settlement of the
   * stored purchase. Dying before the purchase is stored leaves the coupon untouched (the queued item drops itself);
   * after, the item consumes it or, if another sale consumed it meanwhile, ends the purchase REJECTED with nothing
   * redeemed, which the register's resend learns.
   *
   * A register's coupons come off its total: the register sends total = subtotal − its own discount, as without
   * coupons; the purchase keeps discount = its discount + couponDiscount and total = subtotal − discount, so refunds
   * measure against what was paid in money and points, never the coupons' part. Presented without a card, the
   * purchase is the coupons' member's.
   */
  private async registerTerms(codes: string[], quote: Omit<QuoteRequest, 'codes'>, discount: number, pointsApplied: number): Promise<CouponTerms> {
    if (codes.length === 0) return { memberId: quote.memberId, coupons: [], couponDiscount: 0, discount, total: quote.amount };
    const quoted = await this.coupons.quote({ ...quote, codes });
    const couponDiscount = quoted.coupons.reduce((sum, c) => sum + c.discount, 0);
    if (couponDiscount > quote.amount) throw new Error(`points quoted ${couponDiscount} yen of coupons on a ${quote.amount} yen sale`);
    const total = quote.amount - couponDiscount;
    if (pointsApplied > total) throw new BadUserInputError(`pointsToRedeem is more than the total after coupons (${total})`, { field: 'pointsToRedeem' });
    const coupons = quoted.coupons.map((c) => ({ couponId: c.couponId, code: c.code, discount: c.discount }));
    return { memberId: quoted.memberId, coupons, couponDiscount, discount: discount + couponDiscount, total };
  }

  /** An online order's coupons are already in its discount and total (Shopify applied them at checkout). */
  private onlineTerms(online: OnlineCouponTerms, memberId: string | null, total: number, discount: number): CouponTerms {
    const couponDiscount = online.coupons.reduce((sum, c) => sum + c.discount, 0);
    const applied = couponDiscount + online.unquoted.reduce((sum, c) => sum + c.discount, 0);
    if (applied > discount) throw new BadUserInputError(`The coupons' ${applied} yen is more than the order's discount ${discount}`, { field: 'discount' });
    return { memberId, coupons: online.coupons, couponDiscount, discount, total };
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

  private async replayed(purchase: PurchaseDoc, requestDigest: string): Promise<PurchaseDoc> {
    assertSameRequest(purchase, requestDigest, 'purchase');
    return purchase.state === 'PENDING_POINTS' ? this.settleNow(purchase._id) : this.outcome(purchase);
  }

  /**
   * Settles now if points answers; a purchase refused for lack of points is REJECTED and reported as such. The
   * purchase is stored and pending here, so a finished item is rearmed: a request that died after queueing it,
   * retried after the worker had dropped it for want of the purchase, would otherwise leave the purchase pending
   * for good. An attempt already running (the worker's, or another resend's) is joined, not doubled: a second
   * attempt could redeem what the first was refused.
   *
   * `fresh`: the item and the purchase this request has just written. Neither is read back: the item is run as
   * written (Outbox.process), its handler settles the purchase held here and keeps it in step with what it writes,
   * and the answer is that purchase once it has left PENDING_POINTS. An item another runner ended (the worker
   * took it first) is answered by the purchase it left; one that ended without settling it (given up while this
   * request stalled between the item and the purchase) is rearmed as above.
   */
  private async settleNow(purchaseId: Types.ObjectId, fresh?: { item: OutboxItemDoc; purchase: PurchaseDoc }): Promise<PurchaseDoc> {
    const item = settleItem(purchaseId);
    let answer: PurchaseDoc | null = null;
    try {
      // the register is waiting (or resending to learn the outcome): try now, whatever the back-off says
      if (fresh) answer = await this.runFresh(item.key, fresh);
      if (!answer) await this.outbox.runNow(item.key, item.type, item.payload, { ignoreBackoff: true, joinRunning: true });
    } catch {
      // stays queued; the worker settles it
    }
    return this.outcome(answer ?? (await this.get(purchaseId)));
  }

  /** The fresh item run as written: the purchase as it left it, or null when it ended without settling it (rearm it). */
  private async runFresh(key: string, fresh: { item: OutboxItemDoc; purchase: PurchaseDoc }): Promise<PurchaseDoc | null> {
    const ran = await this.outbox.process(key, { ignoreBackoff: true, item: fresh.item, record: fresh.purchase });
    if (fresh.purchase.state !== 'PENDING_POINTS') return fresh.purchase;
    const stored = await this.get(fresh.purchase._id);
    return !ran?.doneAt || stored.state !== 'PENDING_POINTS' ? stored : null;
  }

  /**
   * What the register is told. A purchase that only earns may be acknowledged PENDING_POINTS: its points follow.
   * One that redeems may not: the cashier would hand over a discount the points service may still refuse. Until
   * its settlement is known it answers SERVICE_UNAVAILABLE, and the register resends the same request (same
   * idempotencyKey) to learn the outcome — COMPLETED, INSUFFICIENT_POINTS or a coupon's refusal, or SETTLEMENT_FAILED (returned as the
   * purchase: its points were not used) — as docs/pos-integration.md says.
   */
  private outcome(purchase: PurchaseDoc): PurchaseDoc {
    if (purchase.state === 'REJECTED') {
      const couponCode = purchase.rejectionCouponCode ? { couponCode: purchase.rejectionCouponCode } : {};
      throw new AppError(purchase.rejectionReason ?? 'Not enough points', (purchase.rejectionCode ?? 'INSUFFICIENT_POINTS') as ErrorCode, { purchaseId: purchase._id.toHexString(), ...couponCode });
    }
    // a register's coupon is like its points: the cashier must not give its discount before points consumed it
    const unconfirmed = purchase.pointsApplied > 0 || (purchase.couponPolicy !== 'RECORD' && (purchase.coupons?.length ?? 0) > 0);
    if (purchase.state === 'PENDING_POINTS' && unconfirmed) {
      throw new AppError(
        'The points or coupons to redeem could not be confirmed yet; resend the same request with the same idempotencyKey',
        'SERVICE_UNAVAILABLE',
        { purchaseId: purchase._id.toHexString() },
      );
    }
    return purchase;
  }

  /**
   * Whether the store is ONLINE, the one thing a purchase needs of it. A store is never deleted and its kind never
   * changes (updateStore leaves it out), so what was read once stays true: each store is read once per process.
   */
  private async storeKind(storeId: string): Promise<StoreDoc['kind']> {
    const known = this.storeKinds.get(storeId);
    if (known) return known;
    const store = await this.models.stores.findById(storeId, { kind: 1 }).lean<Pick<StoreDoc, 'kind'>>().exec();
    if (!store) throw new NotFoundError('Store');
    this.storeKinds.set(storeId, store.kind);
    return store.kind;
  }

  /**
   * A receipt number is recorded once per store. A claim whose purchase never appeared and is older than a
   * request could take is a crashed attempt's: it is deleted (only if still that purchase's) and claimed again.
   */
  private async claimExternalId(storeId: string, externalId: string, purchaseId: Types.ObjectId): Promise<void> {
    const claimId = `${storeId}:${externalId}`;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const claim = await claimOnce(this.models.externalIds, { _id: claimId, purchaseId: purchaseId.toHexString(), createdAt: this.clock() });
      if (claim.won || !claim.existing || claim.existing.purchaseId === purchaseId.toHexString()) return;
      const holder = await this.models.purchases.exists({ _id: claim.existing.purchaseId });
      if (holder || this.clock().getTime() - claim.existing.createdAt.getTime() < ABANDONED_CLAIM_MS) {
        throw new AlreadyExistsError(`Receipt ${externalId} is already recorded at this store`, { field: 'externalId' });
      }
      await this.models.externalIds.deleteOne({ _id: claimId, purchaseId: claim.existing.purchaseId });
    }
    throw new AlreadyExistsError(`Receipt ${externalId} is being recorded by another request`, { field: 'externalId' });
  }
}
