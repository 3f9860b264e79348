import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, Leases } from '@omo/lib/core/claims';
import { AlreadyExistsError } from '@omo/lib/core/errors';
import type { OnlineCustomer, OnlineCustomerOutcome } from '@omo/lib/contracts/members';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import { shopifyCustomerLinkKey, type ShopifyCustomerLinkDoc } from '../models/shopify-customer-link.model';
import { normalizeEmail, normalizePhone } from './contact';
import type { ContactKind } from './contact-claims';
import type { MemberLookup } from './member-lookup.service';
import type { ProfileChangeService } from './profile-change.service';
import type { SignUpService } from './sign-up.service';

/** Registrations and changes made for a Shopify customer are the Shopify integration's. */
const SHOPIFY_CALLER: Caller = { kind: 'service', service: 'shopify' };
/** A link whose member never appeared is a registration still in flight for this long; after it, a crash's leftover. */
const IN_FLIGHT_LINK_MS = 30_000;
/** How long one delivery holds a customer: Shopify gives a delivery 5 s, so only a holder that hangs or died loses it. */
const CUSTOMER_LEASE_MS = 30_000;
/** Shopify allows longer names than a member's display name. */
const MAX_DISPLAY_NAME = 50;
const FALLBACK_DISPLAY_NAME = 'Shopify customer';

/** Shopify's `updated_at`; one we cannot read counts as not sent (the update is applied as it comes). */
function shopifyTime(value: string | null): Date | null {
  const time = value ? new Date(value) : null;
  return time && !Number.isNaN(time.getTime()) ? time : null;
}

/** A contact Shopify sent that our rules cannot read counts as not sent (it cannot match or be claimed). */
function readable(value: string | null, normalize: (v: string) => string): string | null {
  try {
    return value ? normalize(value) : null;
  } catch {
    return null;
  }
}

/**
 * Keeps the member of a Shopify customer in step with Shopify's customers/create and customers/update. The
 * customer's link (member_shopify_customers, claimed by its insert) decides which member it is; only a contact
 * Shopify changed since it last told us is applied, so linking a store member does not overwrite what the store
 * recorded, and a contact another member holds is reported, never merged.
 */
export class ShopifyCustomerService {
  private readonly leases: Leases;

  constructor(
    private readonly models: MembersModels,
    private readonly signUp: SignUpService,
    private readonly changes: ProfileChangeService,
    private readonly lookup: MemberLookup,
    private readonly clock: () => Date,
  ) {
    this.leases = new Leases(models.shopifyCustomers.db, { model: 'ShopifyCustomerLease', collection: 'member_shopify_customer_leases' }, clock, CUSTOMER_LEASE_MS);
  }

  /**
   * Shopify does not deliver in order, so an update is applied only when its `updated_at` is later than the one
   * the link keeps (older: `stale`; the same second: `unchanged`, as it is the same state of the customer as far
   * as Shopify's clock tells). Comparing and writing must not interleave with another delivery's, and FerretDB
   * has no atomic conditional update to do it, so one delivery at a time applies a customer's events, under a
   * lease on its link key (an insert, lib/core/claims.ts); another meanwhile is told to retry (the webhook answers
   * 503 and Shopify retries). What is left: a holder stalled past the lease (30 s, six times Shopify's patience)
   * while a later delivery takes over could write after it; and two edits within one second cannot be told apart,
   * so the first delivered is kept. The leases stay (one small document per event): deleting them could let two
   * deliveries take generation 0 at once.
   */
  async upsert(input: OnlineCustomer): Promise<OnlineCustomerOutcome> {
    const key = shopifyCustomerLinkKey(input.storeId, input.customerId);
    const lease = await this.leases.acquire(key, randomUUID());
    if (!lease) throw new Error('Another event of this Shopify customer is being applied; retry');
    try {
      return await this.apply(key, input);
    } finally {
      await this.leases.release(lease);
    }
  }

  private async apply(key: string, input: OnlineCustomer): Promise<OnlineCustomerOutcome> {
    const email = readable(input.email, normalizeEmail);
    const phone = readable(input.phone, normalizePhone);
    const link = await this.models.shopifyCustomers.findById(key).lean<ShopifyCustomerLinkDoc>().exec();
    if (link) return this.updateLinked(link, input, { email, phone });

    const match = await this.lookup.findActiveByContact(email, phone);
    const memberId = match?._id ?? new Types.ObjectId();
    const now = this.clock();
    const claim = await claimOnce(this.models.shopifyCustomers, {
      _id: key,
      memberId,
      storeId: input.storeId,
      customerId: input.customerId,
      matched: match !== null,
      ...this.seen(input, { email, phone }),
      shopifyUpdatedAt: shopifyTime(input.updatedAt),
      createdAt: now,
      updatedAt: now,
    });
    if (!claim.won) {
      // another delivery for this customer linked it first: its member is the one
      if (!claim.existing) throw new Error('The Shopify customer’s link changed while it was read; retry');
      return this.updateLinked(claim.existing, input, { email, phone });
    }
    if (match) {
      await this.addCustomerId(match._id, input);
      return { memberId: match._id.toHexString(), outcome: 'linked', conflicts: [] };
    }
    let member: MemberDoc;
    try {
      member = await this.signUp.register(
        SHOPIFY_CALLER,
        {
          displayName: displayName(input),
          email,
          phone,
          registeredVia: 'ONLINE',
          registeredStoreId: input.storeId,
          // the customer's choice at the shop; an existing member's own choice is never overwritten from Shopify
          marketingConsent: input.emailMarketing === 'subscribed',
          consentSource: 'ONLINE',
        },
        memberId,
        { lastName: input.lastName, firstName: input.firstName },
      );
    } catch (error) {
      // refused (no usable contact, or one a member holds that the match above did not find): the webhook keeps it
      // as ignored with the reason, rather than Shopify retrying a refusal for hours; the link goes, so a later
      // customers/update tries afresh
      await this.models.shopifyCustomers.deleteOne({ _id: key, memberId });
      throw error;
    }
    await this.addCustomerId(member._id, input);
    return { memberId: member._id.toHexString(), outcome: 'created', conflicts: [] };
  }

  /**
   * The active member a Shopify customer's link leads to (a merged member's survivor), for matching its orders;
   * null when there is no link, or its member is withdrawn or a crash's leftover. While the member is still being
   * registered (Shopify sends a new customer's customers/create and first order together), the order is asked to
   * retry rather than be recorded as a guest's, which it would stay.
   */
  async linkedActiveMember(storeId: string, customerId: string): Promise<MemberDoc | null> {
    const link = await this.models.shopifyCustomers.findById(shopifyCustomerLinkKey(storeId, customerId)).lean<ShopifyCustomerLinkDoc>().exec();
    if (!link) return null;
    const found = await this.models.members.findById(link.memberId).lean<MemberDoc>().exec();
    if (!found && this.clock().getTime() - link.createdAt.getTime() < IN_FLIGHT_LINK_MS) {
      throw new Error('The Shopify customer’s member is still being registered; retry');
    }
    const member = found && (await this.lookup.currentMember(found));
    return member?.status === 'ACTIVE' ? member : null;
  }

  private async updateLinked(link: ShopifyCustomerLinkDoc, input: OnlineCustomer, sent: Record<ContactKind, string | null>): Promise<OnlineCustomerOutcome> {
    const found = await this.models.members.findById(link.memberId).lean<MemberDoc>().exec();
    const member = found && (await this.lookup.currentMember(found));
    if (!member) {
      if (this.clock().getTime() - link.createdAt.getTime() < IN_FLIGHT_LINK_MS) {
        // a plain error answers 500, which the webhook answers 503: Shopify retries once the member is stored
        throw new Error('The Shopify customer’s member is still being registered; retry');
      }
      // a crash between the link and its member: the link is removed and the customer matched afresh
      await this.models.shopifyCustomers.deleteOne({ _id: link._id, memberId: link.memberId });
      return this.apply(link._id, input);
    }
    const memberId = member._id.toHexString();
    const stamp = shopifyTime(input.updatedAt);
    // later than the link's, earlier, or the same second; either unknown: applied
    const order = stamp && link.shopifyUpdatedAt ? Math.sign(stamp.getTime() - link.shopifyUpdatedAt.getTime()) : 1;
    const seen = { ...this.seen(input, sent), shopifyUpdatedAt: stamp ?? link.shopifyUpdatedAt ?? null };
    if (member.status === 'WITHDRAWN') {
      if (order > 0) await this.models.shopifyCustomers.updateOne({ _id: link._id }, { $set: { ...seen, updatedAt: this.clock() } });
      return { memberId, outcome: 'withdrawn', conflicts: [] };
    }
    if (order < 0) return { memberId, outcome: 'stale', conflicts: [] };
    if (order === 0) return { memberId, outcome: 'unchanged', conflicts: [] };
    const conflicts: ContactKind[] = [];
    let changed = false;
    for (const kind of ['email', 'phone'] as const) {
      const value = sent[kind];
      // a contact Shopify dropped stays on the member: it may be the one the member uses at the register
      if (!value || value === link[kind] || value === member[kind] || link.matched) continue;
      try {
        await this.changes.update(SHOPIFY_CALLER, memberId, { [kind]: value });
        changed = true;
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        conflicts.push(kind);
      }
    }
    if (!found._id.equals(member._id)) await this.addCustomerId(member._id, input);
    // a contact that clashed is not kept as seen, so the next update from Shopify tries it again
    const kept = { ...seen, ...Object.fromEntries(conflicts.map((kind) => [kind, link[kind]])) };
    await this.models.shopifyCustomers.updateOne({ _id: link._id }, { $set: { ...kept, memberId: member._id, updatedAt: this.clock() } });
    return { memberId, outcome: changed ? 'updated' : 'unchanged', conflicts };
  }

  /** What Shopify last said of the customer; the contacts are compared with the next update's. */
  private seen(input: OnlineCustomer, sent: Record<ContactKind, string | null>) {
    return { email: sent.email, phone: sent.phone, state: input.state, emailMarketing: input.emailMarketing, smsMarketing: input.smsMarketing };
  }

  private async addCustomerId(memberId: Types.ObjectId, input: OnlineCustomer): Promise<void> {
    await this.models.members.updateOne({ _id: memberId }, { $addToSet: { shopifyCustomerIds: `${input.storeId}:${input.customerId}` } });
  }
}

/** Family name first, as Japanese names are written; a customer without a name gets a placeholder staff can change. */
function displayName(input: OnlineCustomer): string {
  const name = [input.lastName, input.firstName]
    .map((part) => part?.normalize('NFKC').trim())
    .filter(Boolean)
    .join(' ');
  return (name || FALLBACK_DISPLAY_NAME).slice(0, MAX_DISPLAY_NAME);
}
