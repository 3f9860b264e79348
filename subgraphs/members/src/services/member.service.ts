import type { Caller } from '@omo/lib/core/auth';
import type { MemberProfile, OnlineCustomer, OnlineCustomerOutcome } from '@omo/lib/contracts/members';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MemberLoaders } from '../loaders/member.loaders';
import type { MembersModels } from '../models';
import type { MarketingConsentDoc, MemberDoc } from '../models/member.model';
import { ContactClaims } from './contact-claims';
import { LineJoinService, type LineJoinOutcome, type LineJoinRequest } from './line-join.service';
import type { RegisterMemberInput, UpdateMemberInput } from './member-input';
import { ImportRegistrations } from './import/import-registration.service';
import { MemberImportService, type ImportResult } from './import/member-import.service';
import type { ImportRowInput } from './import/import-row';
import { MemberDuplicates, type DuplicateState, type DuplicateView } from './member-duplicates.service';
import { MemberLookup } from './member-lookup.service';
import { MemberProfiles, type BirthdayPage } from './member-profile.service';
import { ProfileChangeService } from './profile-change.service';
import { RegisterCustomerService, type RegisterCustomer, type RegisterCustomerOutcome } from './register-customer.service';
import { ShopifyCustomerService } from './shopify-customer.service';
import { SignUpService } from './sign-up.service';
import type { MemberChangeHook } from '../partner-events/member-events';

// the resolvers and the internal routes import these from here, beside the service
export { parseMemberId } from './member-id';
export type { RegisterMemberInput, UpdateMemberInput } from './member-input';

export function canSeeContactDetails(caller: Caller, member: MemberDoc): boolean {
  return caller.kind === 'staff' || (caller.kind === 'customer' && caller.memberId === member._id.toHexString());
}

/**
 * The members service as its resolvers and internal routes see it; each job is in its own file: sign-up
 * (sign-up.service.ts), profile and contact changes (profile-change.service.ts), look-ups and the merge chain
 * (member-lookup.service.ts), joining from LINE (line-join.service.ts), the LINE member page's profile and the
 * birthdays of a month (member-profile.service.ts), Smaregi register customers (register-customer.service.ts) and
 * the likely duplicates they flag (member-duplicates.service.ts), the contact claims they share (contact-claims.ts).
 */
export class MemberService {
  private readonly signUp: SignUpService;
  private readonly changes: ProfileChangeService;
  private readonly lookup: MemberLookup;
  private readonly shopifyCustomers: ShopifyCustomerService;
  private readonly lineJoins: LineJoinService;
  private readonly profiles: MemberProfiles;
  private readonly registerCustomers: RegisterCustomerService;
  private readonly duplicates: MemberDuplicates;
  private readonly imports: MemberImportService;

  constructor(
    models: MembersModels,
    now: () => Date = () => new Date(),
    /** Where the sign-up bonus is queued; none in tools that only read or seed. */
    outbox?: Outbox,
    /**
     * `smaregiMembers`: a Smaregi contract is configured, so new members are queued for its customer records.
     * `memberEvents`: told before a registration or withdrawal is written (partner events).
     */
    options: { smaregiMembers: boolean; memberEvents?: MemberChangeHook } = { smaregiMembers: false },
  ) {
    const contacts = new ContactClaims(models, now);
    this.signUp = new SignUpService(models, contacts, now, outbox, options.smaregiMembers, options.memberEvents);
    this.changes = new ProfileChangeService(models, contacts, now, options.memberEvents);
    this.lookup = new MemberLookup(models);
    this.shopifyCustomers = new ShopifyCustomerService(models, this.signUp, this.changes, this.lookup, now);
    this.lineJoins = new LineJoinService(models, this.signUp, this.lookup, now);
    this.profiles = new MemberProfiles(models, this.changes, this.lookup);
    this.duplicates = new MemberDuplicates(models, this.lookup, now);
    this.registerCustomers = new RegisterCustomerService(models, this.signUp, this.changes, this.lookup, this.duplicates, now);
    this.imports = new MemberImportService(models, new ImportRegistrations(models, this.signUp, contacts, this.duplicates, this.lookup, options.memberEvents), now, outbox);
  }

  register(caller: Caller, input: RegisterMemberInput): Promise<MemberDoc> {
    return this.signUp.register(caller, input);
  }

  update(caller: Caller, id: string, input: UpdateMemberInput): Promise<MemberDoc> {
    return this.changes.update(caller, id, input);
  }

  withdraw(caller: Caller, id: string): Promise<MemberDoc> {
    return this.changes.withdraw(caller, id);
  }

  /** A Shopify customer's member, matched, linked or registered (shopify-customer.service.ts). */
  upsertOnlineCustomer(customer: OnlineCustomer): Promise<OnlineCustomerOutcome> {
    return this.shopifyCustomers.upsert(customer);
  }

  /** A Smaregi register customer's member, by code, link or registered in store (register-customer.service.ts). */
  upsertRegisterCustomer(customer: RegisterCustomer): Promise<RegisterCustomerOutcome> {
    return this.registerCustomers.upsert(customer);
  }

  /** Admins import the previous card system's members, a batch of rows at a time (import/member-import.service.ts). */
  importMembers(caller: Caller, input: { rows: ImportRowInput[]; dryRun: boolean }): Promise<ImportResult> {
    return this.imports.import(caller, input);
  }

  /** Staff's list of likely duplicates in one state, newest first (member-duplicates.service.ts). */
  listDuplicates(caller: Caller, state: DuplicateState, first: number): Promise<DuplicateView[]> {
    return this.duplicates.list(caller, state, first);
  }

  dismissDuplicate(caller: Caller, id: string): Promise<DuplicateView> {
    return this.duplicates.dismiss(caller, id);
  }

  /** Someone not yet a member joins from LINE: one member per LINE user (line-join.service.ts). */
  joinFromLine(request: LineJoinRequest): Promise<LineJoinOutcome> {
    return this.lineJoins.join(request);
  }

  /** The member's card, birthday and consent as the LINE member page shows them (member-profile.service.ts). */
  profile(memberId: string): Promise<MemberProfile> {
    return this.profiles.profile(memberId);
  }

  updateProfile(memberId: string, change: { birthday?: string | null; marketingConsent?: boolean }, source: MarketingConsentDoc['source']): Promise<MemberProfile> {
    return this.profiles.update(memberId, change, source);
  }

  /** ACTIVE members with a birthday in `month`, by id, a page at a time. */
  birthdays(month: number, after: string | undefined, limit: number, registeredBefore?: Date): Promise<BirthdayPage> {
    return this.profiles.birthdays(month, after, limit, registeredBefore);
  }

  /** The active member a Shopify customer is linked to, after merges; null for none. */
  findActiveByShopifyCustomer(storeId: string, customerId: string): Promise<MemberDoc | null> {
    return this.shopifyCustomers.linkedActiveMember(storeId, customerId);
  }

  /** Resolves a scanned or typed card code; a merged member's code leads to the member it was merged into. */
  resolveCode(caller: Caller, code: string, loaders: MemberLoaders): Promise<MemberDoc> {
    return this.lookup.resolveCode(caller, code, loaders);
  }

  /** Staff's search by e-mail or phone, merged and withdrawn members included. */
  findByContact(caller: Caller, email?: string | null, phone?: string | null, namePrefix?: string | null): Promise<MemberDoc[]> {
    return this.lookup.findByContact(caller, email, phone, namePrefix);
  }

  /** The active member an online customer's e-mail (else phone) leads to, after merges; null for none. */
  findActiveByContact(email: string | null, phone: string | null): Promise<MemberDoc | null> {
    return this.lookup.findActiveByContact(email, phone);
  }

  /** The member a merged member now lives on (following mergedIntoId); the member itself otherwise. */
  currentMember(member: MemberDoc): Promise<MemberDoc | null> {
    return this.lookup.currentMember(member);
  }
}
