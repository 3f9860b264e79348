import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { z } from 'zod';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, Leases } from '@omo/lib/core/claims';
import { AlreadyExistsError, BadUserInputError } from '@omo/lib/core/errors';
import type { membersContract } from '@omo/lib/contracts/members';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import { registerCustomerLinkKey, type RegisterCustomerLinkDoc } from '../models/register-customer-link.model';
import { normalizeEmail, normalizePhone } from './contact';
import type { ContactKind } from './contact-claims';
import type { MemberDuplicates } from './member-duplicates.service';
import type { MemberLookup } from './member-lookup.service';
import { birthdayFields } from './member-profile';
import type { ProfileChangeService } from './profile-change.service';
import type { SignUpService } from './sign-up.service';

type UpsertRoute = typeof membersContract.routes.upsertRegisterCustomer;
export type RegisterCustomer = z.output<UpsertRoute['request']>;
export type RegisterCustomerOutcome = z.infer<UpsertRoute['response']>;

/** Registrations and changes made for a Smaregi register customer are the Smaregi connector's. */
const SMAREGI_CALLER: Caller = { kind: 'service', service: 'smaregi' };
/** A link whose member never appeared is a registration still in flight for this long; after it, a crash's leftover. */
const IN_FLIGHT_LINK_MS = 30_000;
/** How long one event holds a customer (the connector's outbox retries one that finds it held). */
const CUSTOMER_LEASE_MS = 30_000;
/** Rounds of "look the contacts' holders up, register, find a holder that appeared meanwhile". */
const MAX_REGISTER_ATTEMPTS = 3;
const MAX_DISPLAY_NAME = 50;
const FALLBACK_DISPLAY_NAME = 'Smaregi customer';

interface Sent {
  lastName: string | null;
  firstName: string | null;
  email: string | null;
  phone: string | null;
}

/** A value the register sent that our rules cannot read counts as not sent (it cannot match or be claimed). */
function readable(value: string | null, normalize: (v: string) => string): string | null {
  try {
    return value ? normalize(value) : null;
  } catch {
    return null;
  }
}

function smaregiTime(value: string | null): Date | null {
  const time = value ? new Date(value) : null;
  return time && !Number.isNaN(time.getTime()) ? time : null;
}

const namePart = (value: string | null) => value?.normalize('NFKC').trim() || null;

/**
 * Keeps the member of a Smaregi register customer in step with pos:customers (called by purchases' customer sync),
 * as the Shopify flow does (shopify-customer.service.ts), with two differences: the customer may carry one of our
 * cards as its customerCode (then it is that member, outcome `code`), and a contact another member holds is not a
 * refusal: the member is made (or kept) without it and the pair is flagged for staff (member-duplicates.service.ts).
 *
 * The link `smaregi:<contractId>:<customerId>` in member_smaregi_customers, claimed by its insert, names the member
 * and keeps what the register last sent; an edit applies only what changed since (so our own customer record
 * coming back from Smaregi changes nothing), and only when its updDateTime is later than the last applied. A
 * register is worked by staff, so its edits of a member found by code are applied too (unlike a Shopify checkout).
 * One event of a customer at a time, under a lease on the link key. Crash points:
 * - after the link, before the member: a link without its member. Within 30 s another event is told to retry (the
 *   registration may still be running); after it, the next event completes the registration under the link's
 *   member id (SignUpService.registerAs runs again safely; the sign-up bonus and smaregi-member items are keyed by it).
 * - after a duplicate flag, before the member: the flag is not shown until its member is stored (or ever, if the
 *   registration is completed with other details), and a completed registration flags again, once per pair.
 * - after the member, before the answer: the next event finds the link and its member.
 */
export class RegisterCustomerService {
  private readonly leases: Leases;

  constructor(
    private readonly models: MembersModels,
    private readonly signUp: SignUpService,
    private readonly changes: ProfileChangeService,
    private readonly lookup: MemberLookup,
    private readonly duplicates: MemberDuplicates,
    private readonly clock: () => Date,
  ) {
    this.leases = new Leases(models.registerCustomers.db, { model: 'RegisterCustomerLease', collection: 'member_smaregi_customer_leases' }, clock, CUSTOMER_LEASE_MS);
  }

  async upsert(input: RegisterCustomer): Promise<RegisterCustomerOutcome> {
    const key = registerCustomerLinkKey(input.contractId, input.customerId);
    const lease = await this.leases.acquire(key, randomUUID());
    if (!lease) throw new Error('Another event of this Smaregi customer is being applied; retry');
    try {
      return await this.apply(key, input);
    } finally {
      await this.leases.release(lease);
    }
  }

  private async apply(key: string, input: RegisterCustomer): Promise<RegisterCustomerOutcome> {
    const sent: Sent = {
      lastName: namePart(input.lastName),
      firstName: namePart(input.firstName),
      email: readable(input.email, normalizeEmail),
      phone: readable(input.phone, normalizePhone),
    };
    const link = await this.models.registerCustomers.findById(key).lean<RegisterCustomerLinkDoc>().exec();
    if (link) return this.updateLinked(link, input, sent);

    const byCode = await this.memberByCode(input.customerCode);
    const now = this.clock();
    const claim = await claimOnce(this.models.registerCustomers, {
      _id: key,
      memberId: byCode?._id ?? new Types.ObjectId(),
      contractId: input.contractId,
      customerId: input.customerId,
      byCode: byCode !== null,
      ...sent,
      smaregiUpdatedAt: smaregiTime(input.updatedAt),
      createdAt: now,
      updatedAt: now,
    });
    if (!claim.won) {
      if (!claim.existing) throw new Error('The Smaregi customer’s link changed while it was read; retry');
      return this.updateLinked(claim.existing, input, sent);
    }
    if (byCode) return outcomeOf(byCode, byCode.status === 'WITHDRAWN' ? 'withdrawn' : 'code');
    return this.register(claim.doc, input, sent);
  }

  /** The member whose card's code the customer carries (a merged member's survivor), or null. */
  private async memberByCode(customerCode: string | null): Promise<MemberDoc | null> {
    const code = customerCode?.trim();
    if (!code) return null;
    const found = await this.models.members.findOne({ memberCode: code }).lean<MemberDoc>().exec();
    return found && (await this.lookup.currentMember(found));
  }

  /** A new member in store under the link's member id, without any contact another member holds (flagged instead). */
  private async register(link: RegisterCustomerLinkDoc, input: RegisterCustomer, sent: Sent): Promise<RegisterCustomerOutcome> {
    const contacts: Record<ContactKind, string | null> = { email: sent.email, phone: sent.phone };
    let duplicateOf: string | null = null;
    for (let attempt = 1; attempt <= MAX_REGISTER_ATTEMPTS; attempt += 1) {
      for (const kind of ['email', 'phone'] as const) {
        const value = contacts[kind];
        const holder = value && (await this.holderOf(kind, value, link.memberId));
        if (!value || !holder) continue;
        // flagged before the member is stored, so a crash in between cannot lose the flag (see the class comment)
        await this.duplicates.flag(link.memberId, holder._id, { kind, value }, link._id);
        duplicateOf ??= holder._id.toHexString();
        contacts[kind] = null;
      }
      try {
        const { member, created } = await this.signUp.registerAs(
          SMAREGI_CALLER,
          {
            displayName: displayName(sent),
            ...contacts,
            registeredVia: 'STORE',
            registeredStoreId: input.storeId,
            birthday: this.birthday(input.birthday),
            marketingConsent: false,
            consentSource: 'POS',
          },
          link.memberId,
          { signupBonus: true, contactRequired: false, names: { lastName: sent.lastName, firstName: sent.firstName }, fromSmaregiContractId: input.contractId },
        );
        return { ...outcomeOf(member, created ? 'created' : 'unchanged'), duplicateOf };
      } catch (error) {
        // a holder appeared between the look-up and the claim: looked up again, and the contact left out
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
    }
    throw new Error('The Smaregi customer’s contacts are being registered by someone else; retry');
  }

  private async updateLinked(link: RegisterCustomerLinkDoc, input: RegisterCustomer, sent: Sent): Promise<RegisterCustomerOutcome> {
    const found = await this.models.members.findById(link.memberId).lean<MemberDoc>().exec();
    const member = found && (await this.lookup.currentMember(found));
    if (!member) {
      if (this.clock().getTime() - link.createdAt.getTime() < IN_FLIGHT_LINK_MS) throw new Error('The Smaregi customer’s member is still being registered; retry');
      return this.register(link, input, sent);
    }
    const stamp = smaregiTime(input.updatedAt);
    // later than the link's, earlier, or the same instant; either unknown: applied
    const order = stamp && link.smaregiUpdatedAt ? Math.sign(stamp.getTime() - link.smaregiUpdatedAt.getTime()) : 1;
    const seen = { ...sent, smaregiUpdatedAt: stamp ?? link.smaregiUpdatedAt ?? null };
    if (member.status === 'WITHDRAWN') {
      if (order > 0) await this.models.registerCustomers.updateOne({ _id: link._id }, { $set: { ...seen, updatedAt: this.clock() } });
      return outcomeOf(member, 'withdrawn');
    }
    if (order < 0) return outcomeOf(member, 'stale');
    if (order === 0) return outcomeOf(member, 'unchanged');
    const memberId = member._id.toHexString();
    let changed = false;
    const name = displayName(sent);
    if ((sent.lastName !== link.lastName || sent.firstName !== link.firstName) && (sent.lastName || sent.firstName) && name !== member.displayName) {
      await this.changes.update(SMAREGI_CALLER, memberId, { displayName: name });
      changed = true;
    }
    const clashed: ContactKind[] = [];
    let duplicateOf: string | null = null;
    for (const kind of ['email', 'phone'] as const) {
      const value = sent[kind];
      // a contact the register dropped stays on the member: it may be the one the member uses elsewhere
      if (!value || value === link[kind] || value === member[kind]) continue;
      try {
        await this.changes.update(SMAREGI_CALLER, memberId, { [kind]: value });
        changed = true;
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        clashed.push(kind);
        const holder = await this.holderOf(kind, value, member._id);
        if (holder) {
          await this.duplicates.flag(member._id, holder._id, { kind, value }, link._id);
          duplicateOf ??= holder._id.toHexString();
        }
      }
    }
    // a contact that clashed is not kept as seen, so the next edit tries it again
    const kept = { ...seen, ...Object.fromEntries(clashed.map((kind) => [kind, link[kind]])) };
    await this.models.registerCustomers.updateOne({ _id: link._id }, { $set: { ...kept, memberId: member._id, updatedAt: this.clock() } });
    return { ...outcomeOf(member, changed ? 'updated' : 'unchanged'), duplicateOf };
  }

  /** The active member other than `self` holding this contact (a merged holder's survivor), or null. */
  private async holderOf(kind: ContactKind, value: string, self: Types.ObjectId): Promise<MemberDoc | null> {
    const found = await this.models.members.findOne({ [kind]: value, status: { $in: ['ACTIVE', 'MERGED'] } }).lean<MemberDoc>().exec();
    const holder = found && (await this.lookup.currentMember(found));
    return holder?.status === 'ACTIVE' && !holder._id.equals(self) ? holder : null;
  }

  /** A birthday our rules refuse (a typing slip at the register) is left out rather than refusing the customer. */
  private birthday(value: string | null): string | null {
    if (!value) return null;
    try {
      return birthdayFields(value, this.clock()).birthday ?? null;
    } catch (error) {
      if (error instanceof BadUserInputError) return null;
      throw error;
    }
  }
}

function outcomeOf(member: MemberDoc, outcome: RegisterCustomerOutcome['outcome']): RegisterCustomerOutcome {
  return { memberId: member._id.toHexString(), memberCode: member.memberCode, outcome, duplicateOf: null };
}

/** Family name first, as Japanese names are written; a customer without a name gets a placeholder staff can change. */
function displayName(sent: Sent): string {
  const name = [sent.lastName, sent.firstName].filter(Boolean).join(' ');
  return (name || FALLBACK_DISPLAY_NAME).slice(0, MAX_DISPLAY_NAME);
}
