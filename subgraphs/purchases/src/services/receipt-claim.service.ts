import type { Types } from 'mongoose';
import { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { actorOf, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError, BadUserInputError, ForbiddenError, RateLimitedError } from '@omo/lib/core/errors';
import { HOUR_MS } from '@omo/lib/core/time';
import { parseReceiptCode } from '@omo/lib/contracts/receipt-code';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { PurchasesModels } from '../models';
import type { PurchaseDoc } from '../models/purchase.model';
import type { ClaimRefusal, ReceiptClaimDoc } from '../models/receipt-claim.model';
import type { ReceiptClaimDecisionDoc } from '../models/receipt-claim-decision.model';
import type { MembersClient } from './members.client';
import { ReceiptClaimSlots } from './receipt-claim-slots';
import { receiptClaimView, type ReceiptClaimView } from './receipt-code';
import { settleItem } from './settlement-items';

/**
 * Failed claims a member may make an hour. The code space (2^55) makes guessing hopeless anyway; the limit keeps
 * the noise down, as the link codes' does. A claim that finds its purchase is not counted.
 */
const FAILED_CLAIMS_PER_HOUR = 10;
/** A claim neither applied nor refused this long after it was taken died half way: the sweep finishes it. */
const STALE_CLAIM_MS = 60_000;

/** What a claim came to: the purchase, now the member's, and the points it earned (null while they are pending). */
export interface ClaimOutcome {
  purchase: PurchaseDoc;
  pointsEarned: number | null;
}

const notFound = () => new AppError('No purchase has this receipt code. Check the code on your receipt.', 'NOT_FOUND');
const refunded = () => new AppError('This purchase was refunded, so its points cannot be claimed.', 'PURCHASE_REFUNDED');
// not NOT_FOUND: the customer would read it as a wrong code
const withdrawn = () => new AppError('This membership has been withdrawn, so it cannot claim a receipt’s points.', 'MEMBER_WITHDRAWN');
const refusalError = (reason: ClaimRefusal) => (reason === 'MEMBER_WITHDRAWN' ? withdrawn() : refunded());

/**
 * Claiming a guest purchase's points by its receipt code (docs/receipt-claims.md). The claim is the insert of the
 * purchase id into receipt_claims; then the purchase becomes the member's and is settled by the same outbox item
 * as any member's purchase (points-settlement.ts), which earns under the rules and the tier of the purchase time.
 *
 * Claim against refund: each inserts its own record first (the claim, the refund), then looks for the other, so at
 * least one sees the other. The claim's finishers decide apply or refuse once (decide); a claim that finds a refund
 * before anyone decided is refused and kept refused in the database; a refund of a
 * purchase with a receipt code queues its reversal, whose handler waits while a claim is unfinished and then
 * reverses for the claim's member, or for no one (refund-claims in points-settlement.ts).
 *
 * Crash points: after the day's slot and before the claim insert, the slot is dead, and given back when the member
 * is at the cap (receipt-claim-slots.ts). After the claim insert and before the purchase update, the claim is
 * unfinished: the same member's retry, or the sweep (finishStale), finishes it. After the purchase update
 * (PENDING_POINTS, the member's) and before the settle item is run or written, the settlement sweep re-arms the
 * item of a purchase still pending.
 */
export class ReceiptClaimService {
  private readonly limiter: AttemptLimiter;
  private readonly slots: ReceiptClaimSlots;

  constructor(
    private readonly models: PurchasesModels,
    private readonly members: MembersClient,
    private readonly outbox: Outbox,
    private readonly clock: () => Date,
    private readonly options: { liffId: string | undefined; claimsPerDay: number },
  ) {
    this.limiter = new AttemptLimiter(models.receiptClaimAttempts, clock);
    this.slots = new ReceiptClaimSlots(models.receiptClaimSlots, models.receiptClaims, clock, options.claimsPerDay);
  }

  /**
   * Purchase.receiptClaim. The code is a bearer of the purchase's points, so only the caller that recorded the sale
   * (the register's POS key, or the staff member who entered it: `actor`, stored on every purchase since the first)
   * and ADMIN read it; STAFF see whether and until when it can be claimed, to answer a customer, without the code;
   * the store's other POS keys, customers and services see nothing. A customer never needs it: before the claim the
   * purchase is no customer's, and after it the code has done its work.
   */
  viewOf(caller: Caller, purchase: PurchaseDoc): ReceiptClaimView | null {
    const recorder = (caller.kind === 'pos' || caller.kind === 'staff') && actorOf(caller) === purchase.actor;
    if (recorder || (caller.kind === 'staff' && caller.role === 'ADMIN')) return receiptClaimView(purchase, this.options.liffId, true);
    return caller.kind === 'staff' ? receiptClaimView(purchase, this.options.liffId, false) : null;
  }

  /** claimPurchase: a signed-in customer's own claim. */
  claimAsCustomer(caller: Caller, code: string): Promise<ClaimOutcome> {
    const who = requireAuthenticated(caller);
    if (who.kind !== 'customer') throw new ForbiddenError('Customers claim their own receipts');
    return this.claim(who.memberId, code);
  }

  /** A member's claim (the customer's, or the one line's chat or member page names by the LINE link). */
  async claim(memberId: string, text: string): Promise<ClaimOutcome> {
    const parsed = parseReceiptCode(text);
    if (!parsed) throw new BadUserInputError('A receipt code has 12 letters and digits, such as 7KQ4-M2XD-9HRT', { field: 'code' });
    if (!parsed.checked) throw new BadUserInputError('This receipt code has a typo: check each character', { field: 'code' });
    const standing = await this.members.current(memberId);
    if (standing.status === 'WITHDRAWN') throw withdrawn();
    const member = standing.memberId;
    const attempt = await this.limiter.reserve({ key: `receipt-claim:${member}`, limit: FAILED_CLAIMS_PER_HOUR, windowMs: HOUR_MS });
    if (!attempt) throw new RateLimitedError('Too many receipt codes that did not match: try again in an hour', 3600);
    const found = await this.models.receiptCodes.findById(parsed.code).lean().exec();
    const purchase = found ? await this.models.purchases.findById(found.purchaseId).lean<PurchaseDoc>().exec() : null;
    if (!purchase?.receiptCode || purchase.receiptCode !== parsed.code) throw notFound();
    await attempt.release();

    if (!purchase.receiptClaimableUntil || this.clock() > purchase.receiptClaimableUntil) {
      throw new AppError('The days to claim this receipt’s points are over.', 'CLAIM_EXPIRED', { field: 'code' });
    }
    // a claim already made answers for itself: its purchase refunded after the claim was applied is still the member's
    const prior = await this.models.receiptClaims.findById(purchase._id).lean<ReceiptClaimDoc>().exec();
    if (prior) return this.alreadyClaimed(prior, member);
    if (await this.refunded(purchase._id)) throw refunded();
    // the day's slot before the claim: a crash between the two leaves a slot no claim names, which the member gets
    // back at the cap a minute later (ReceiptClaimSlots); a claim inserted first could pass the cap
    const slot = await this.slots.take(member, purchase._id);
    const claim = await claimOnce(this.models.receiptClaims, { _id: purchase._id, memberId: member, code: parsed.code, claimedAt: this.clock(), appliedAt: null, refusal: null, slot });
    if (claim.won) return this.finish(claim.doc);
    await this.slots.release(slot, purchase._id);
    if (!claim.existing) throw new Error(`the receipt claim of ${purchase._id.toHexString()} clashed on insert and is gone`);
    return this.alreadyClaimed(claim.existing, member);
  }

  private async alreadyClaimed(existing: ReceiptClaimDoc, member: string): Promise<never> {
    if (existing.refusal) throw refusalError(existing.refusal.code);
    const yours = existing.memberId === member || (await this.members.currentMemberId(existing.memberId)) === member;
    // a retry after a crash half way finishes the claim before it is told it was made
    if (yours) await this.finish(existing);
    throw new AppError(yours ? 'You have already claimed this receipt.' : 'This receipt’s points have already been claimed.', 'ALREADY_CLAIMED', { claimedByYou: yours });
  }

  /** The sweep: claims a crash left neither applied nor refused. Returns how many were finished. */
  async finishStale(limit = 100): Promise<number> {
    const before = new Date(this.clock().getTime() - STALE_CLAIM_MS);
    const stale = await this.models.receiptClaims.find({ appliedAt: null, refusal: null, claimedAt: { $lt: before } }).limit(limit).lean<ReceiptClaimDoc[]>().exec();
    let finished = 0;
    for (const claim of stale) {
      await this.finish(claim).catch((error: unknown) => {
        if (!(error instanceof AppError) || (error.extensions.code !== 'PURCHASE_REFUNDED' && error.extensions.code !== 'MEMBER_WITHDRAWN')) throw error;
      });
      finished += 1;
    }
    return finished;
  }

  /**
   * After the claim insert, while it is not applied: the refund check that a refund inserted meanwhile cannot slip
   * past (its reversal sees this claim, unfinished, and waits for it), then the purchase made the member's; then
   * settled. Every step may run again: the purchase update sets the same values, the settle item is keyed by the
   * purchase.
   */
  private async finish(claim: ReceiptClaimDoc): Promise<ClaimOutcome> {
    // only an unapplied claim can lose to a refund: once applied, a refund is the member's own (its reversal takes
    // back their points), and refusing the claim then would make the next refund reverse for no one
    if (!claim.appliedAt) {
      const decision = await this.decide(claim);
      if (decision.verdict === 'REFUSED') {
        const reason = decision.reason ?? 'PURCHASE_REFUNDED';
        await this.models.receiptClaims.updateOne({ _id: claim._id, appliedAt: null }, { $set: { refusal: { code: reason, at: this.clock() } } });
        // a crash before this leaves the slot to a refused claim, which the member gets back at the cap
        await this.slots.release(claim.slot, claim._id);
        throw refusalError(reason);
      }
      await this.models.purchases.updateOne({ _id: claim._id, memberId: null }, { $set: { memberId: claim.memberId, state: 'PENDING_POINTS' } });
      await this.models.receiptClaims.updateOne({ _id: claim._id }, { $set: { appliedAt: this.clock() } });
    }
    const item = settleItem(claim._id);
    let pointsEarned: number | null = null;
    try {
      const done = await this.outbox.runNow(item.key, item.type, item.payload, { ignoreBackoff: true, joinRunning: true });
      const result = done?.doneAt ? (done.result as { pointsEarned?: unknown } | null) : null;
      if (typeof result?.pointsEarned === 'number') pointsEarned = result.pointsEarned;
    } catch {
      // stays queued; the worker settles it and the points follow
    }
    const purchase = await this.models.purchases.findById(claim._id).lean<PurchaseDoc>().exec();
    if (!purchase) throw new Error(`claimed purchase ${claim._id.toHexString()} is gone`);
    return { purchase, pointsEarned: purchase.state === 'COMPLETED' ? pointsEarned : null };
  }

  /**
   * Applied or refused, once for the claim: this finisher's verdict (refused when a refund is stored) is inserted,
   * and a finisher that loses follows the one that won, though it may have seen a refund the winner had not: the
   * winner's APPLIED makes the refund the member's, whose reversal then takes back their points.
   * Crash points: before the insert, nothing is decided and the next finisher decides; after it and before the
   * claim's update (refusal, or the purchase and appliedAt), the next finisher reads the verdict and carries it
   * out, and the refund's reversal waits meanwhile for the purchase to be the claimant's (receipt-claim-refunds.ts).
   */
  private async decide(claim: ReceiptClaimDoc): Promise<ReceiptClaimDecisionDoc> {
    const purchaseId = claim._id;
    // the membership withdrawn after the claim's start-of-claim check takes no purchase either
    const reason = (await this.refunded(purchaseId)) ? 'PURCHASE_REFUNDED' : (await this.members.current(claim.memberId)).status === 'WITHDRAWN' ? 'MEMBER_WITHDRAWN' : null;
    const mine: ReceiptClaimDecisionDoc = { _id: purchaseId, verdict: reason ? 'REFUSED' : 'APPLIED', reason, decidedAt: this.clock() };
    const decision = await claimOnce(this.models.receiptClaimDecisions, mine);
    if (decision.won) return mine;
    if (!decision.existing) throw new Error(`the receipt claim decision of ${purchaseId.toHexString()} clashed on insert and is gone`);
    return decision.existing;
  }

  private async refunded(purchaseId: Types.ObjectId): Promise<boolean> {
    return (await this.models.refunds.exists({ purchaseId: purchaseId.toHexString() })) !== null;
  }
}
