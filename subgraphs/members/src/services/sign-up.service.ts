import { Types } from 'mongoose';
import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../models';
import type { MemberChangeHook } from '../partner-events/member-events';
import type { MemberDoc } from '../models/member.model';
import { normalizeEmail, normalizePhone } from './contact';
import type { ContactClaims } from './contact-claims';
import { generateMemberCode } from './member-code';
import { displayNameSchema, parseField, tagsSchema, type RegisterMemberInput } from './member-input';
import { birthdayFields, consentChoice } from './member-profile';

/** The members outbox item type that gives a new member the sign-up bonus. */
const SIGNUP_BONUS_OUTBOX_TYPE = 'signup-bonus';
/** The members outbox item type that asks the Smaregi connector for the new member's customer records (smaregi-member.handler.ts). */
export const SMAREGI_MEMBER_OUTBOX_TYPE = 'smaregi-member';

const MAX_CODE_ATTEMPTS = 5;

type NewMemberFields = Omit<MemberDoc, '_id' | 'memberCode' | 'status' | 'createdAt' | 'updatedAt'>;

/** How a registration is made beyond its input (registerAs). */
export interface RegistrationOptions {
  /** false: a registration that earns no sign-up bonus (someone joining again after withdrawing). */
  signupBonus: boolean;
  /** false: a member without e-mail or phone may be made (a register customer whose contacts other members hold). */
  contactRequired?: boolean;
  /** The person's family and given name when the channel has them (Smaregi customers are made with both). */
  names?: { lastName: string | null; firstName: string | null };
  /** The Smaregi contract whose register made this member: it has the customer already. */
  fromSmaregiContractId?: string | null;
  /**
   * false: no Smaregi customer record is asked for. An imported member came from the old card system, which may be
   * Smaregi itself holding them under the old code already: a record under our new code would be a second
   * customer for one person. They get one only by `npm run smaregi:sync-members` (docs/member-import.md).
   */
  smaregiCustomer?: boolean;
}

/** Registration: the checks, the contact claims, a fresh card code, and the sign-up bonus queued before the member. */
export class SignUpService {
  constructor(
    private readonly models: MembersModels,
    private readonly contacts: ContactClaims,
    private readonly clock: () => Date,
    /** Where the sign-up bonus is queued; none in tools that only read or seed. */
    private readonly outbox?: Outbox,
    /** Whether any Smaregi contract is configured: then every new member gets a smaregi-member item. */
    private readonly smaregiMembers = false,
    /** Partner events: member.registered, queued before the member like the bonus. */
    private readonly memberEvents?: MemberChangeHook,
  ) {}

  /** `memberId`: chosen by a caller that claimed something for the member before registering it (a Shopify customer link). */
  async register(caller: Caller, input: RegisterMemberInput, memberId = new Types.ObjectId(), names?: RegistrationOptions['names']): Promise<MemberDoc> {
    return (await this.registerAs(caller, input, memberId, { signupBonus: true, names })).member;
  }

  /**
   * As register, for a caller that may run the same registration again (a LINE join completing one that died, or
   * its twin running at the same moment): a member already stored under `memberId` is answered, `created: false`.
   * Claims this run took for contacts the stored member does not have are released; the ones it has are shared.
   * Every path that makes a member comes here, so this is where the Smaregi connector is asked for the member's
   * customer records: its item, like the bonus's, is written before the member, so a crash in between cannot lose
   * it (the handler drops it if the member never appears). The one exception is the member import, whose members
   * get neither (import-registration.service.ts registers a batch of them with these checks and claims at once).
   */
  async registerAs(
    caller: Caller,
    input: RegisterMemberInput,
    memberId: Types.ObjectId,
    options: RegistrationOptions = { signupBonus: true },
  ): Promise<{ member: MemberDoc; created: boolean }> {
    const fields = this.check(caller, input, { contactRequired: options.contactRequired ?? true });
    const bonus = options.signupBonus ? this.outbox : undefined;
    const bonusKey = `${SIGNUP_BONUS_OUTBOX_TYPE}:${memberId.toHexString()}`;
    const smaregi = this.smaregiMembers && options.smaregiCustomer !== false ? this.outbox : undefined;
    const smaregiKey = `${SMAREGI_MEMBER_OUTBOX_TYPE}:${memberId.toHexString()}`;
    const smaregiPayload = {
      memberId: memberId.toHexString(),
      lastName: options.names?.lastName ?? null,
      firstName: options.names?.firstName ?? null,
      fromSmaregiContractId: options.fromSmaregiContractId ?? null,
    };
    const claimed: string[] = [];
    let stored: { member: MemberDoc; created: boolean };
    try {
      for (const [kind, value] of [['email', fields.email], ['phone', fields.phone]] as const) {
        if (value) claimed.push(await this.contacts.claim(caller, kind, value, memberId));
      }
      // queued before the member is stored, so a crash in between cannot lose the bonus (the handler drops the
      // item if the member never appears)
      await bonus?.enqueue(bonusKey, SIGNUP_BONUS_OUTBOX_TYPE, { memberId: memberId.toHexString() });
      await smaregi?.enqueue(smaregiKey, SMAREGI_MEMBER_OUTBOX_TYPE, smaregiPayload);
      await this.memberEvents?.before('member.registered', memberId);
      stored = await this.insertWithFreshCode(memberId, fields);
    } catch (error) {
      await this.releaseUnheld(claimed, memberId);
      throw error;
    }
    if (!stored.created) await this.releaseUnheld(claimed, memberId);
    if (bonus) await this.deliverSoon(bonusKey, { memberId: memberId.toHexString() });
    if (smaregi) await this.rearmSoon(smaregi, smaregiKey, smaregiPayload);
    return stored;
  }

  /** The registration's checks, nothing written: BAD_USER_INPUT or FORBIDDEN, else the new member's fields. */
  check(caller: Caller, input: RegisterMemberInput, options: { contactRequired: boolean } = { contactRequired: true }): NewMemberFields {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff' && actor.kind !== 'pos' && actor.kind !== 'service') {
      throw new ForbiddenError('Only staff and POS keys can register members');
    }
    const displayName = parseField(displayNameSchema, input.displayName, 'displayName');
    const email = input.email ? normalizeEmail(input.email) : null;
    const phone = input.phone ? normalizePhone(input.phone) : null;
    if (!email && !phone && options.contactRequired) throw new BadUserInputError('An e-mail address or a phone number is required', { field: 'email' });
    const registeredStoreId = input.registeredStoreId?.trim() || null;
    // a service registering a store customer may not know the store (a register customer of an unmapped store)
    if (input.registeredVia === 'STORE' && !registeredStoreId && actor.kind !== 'service') {
      throw new BadUserInputError('registeredStoreId is required for a store registration', { field: 'registeredStoreId' });
    }
    if (actor.kind === 'pos' && (!registeredStoreId || !actor.storeIds.includes(registeredStoreId))) {
      throw new ForbiddenError('This key may only register members at its own stores');
    }
    if (input.tags && actor.kind === 'pos') throw new ForbiddenError('Only staff can set tags');
    const tags = parseField(tagsSchema, input.tags ?? [], 'tags');
    const now = this.clock();
    const consentSource = input.consentSource ?? (actor.kind === 'pos' ? 'POS' : 'STAFF');
    return {
      displayName,
      email,
      phone,
      registeredVia: input.registeredVia,
      registeredStoreId,
      tags,
      ...birthdayFields(input.birthday ?? null, now),
      marketingConsent: consentChoice(input.marketingConsent ?? false, consentSource, now),
    };
  }

  /**
   * Releases this run's contact claims except those the member stored under `memberId` holds: a twin run of the
   * same registration shares them (a claim names the member id, not the run).
   */
  private async releaseUnheld(claimed: string[], memberId: Types.ObjectId): Promise<void> {
    if (!claimed.length) return;
    const member = await this.models.members.findById(memberId, { email: 1, phone: 1 }).lean<MemberDoc>().exec();
    const held = new Set([member?.email, member?.phone].filter(Boolean).map(String));
    await this.contacts.release(claimed.filter((key) => !held.has(key.slice(key.indexOf(':') + 1))), memberId);
  }

  /**
   * Delivers the bonus now if points answers, so the caller sees it; otherwise the worker retries.
   * Rearmed first: its record is stored now, and a worker may have dropped the item while the insert was slow.
   */
  private async deliverSoon(key: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.outbox?.runNow(key, SIGNUP_BONUS_OUTBOX_TYPE, payload);
    } catch {
      // the item stays queued: the outbox worker delivers it later
    }
  }

  /**
   * The worker may have dropped the item while the member was not stored yet (a registration completed by a later
   * run, as a LINE join's): it is made to run again. A failure here leaves the item as the worker left it (dropped
   * only after a minute without the member) rather than failing the caller for a member that is stored.
   */
  private async rearmSoon(outbox: Outbox, key: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await outbox.rearm(key, SMAREGI_MEMBER_OUTBOX_TYPE, payload);
    } catch {
      // kept as it was: queued, or dropped by a worker that found no member
    }
  }

  /**
   * `count` distinct card codes, in one look-up of the old codes for all of them (a batch of the member import):
   * a drawn code that is an imported old card's would be that card's member's at the register, so it is drawn again.
   */
  async freshCodes(count: number): Promise<string[]> {
    const codes = new Set<string>();
    while (codes.size < count) {
      const drawn = new Set<string>();
      while (codes.size + drawn.size < count) drawn.add(generateMemberCode());
      const taken = await this.models.legacyCodes.find({ _id: { $in: [...drawn] } }, { _id: 1 }).lean<{ _id: string }[]>().exec();
      const old = new Set(taken.map((claim) => claim._id));
      for (const code of drawn) if (!old.has(code)) codes.add(code);
    }
    return [...codes];
  }

  /**
   * Not insertOnce: a clash here is either the member already stored under this id (a registration run twice,
   * see registerAs) or a member code collision, a cue to draw another code; and the caller needs the stored
   * document with its timestamps. FerretDB's duplicate-key error does not say which, so the id is looked up.
   */
  private async insertWithFreshCode(
    memberId: Types.ObjectId,
    fields: NewMemberFields,
  ): Promise<{ member: MemberDoc; created: boolean }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const created = await this.models.members.create({ _id: memberId, memberCode: (await this.freshCodes(1))[0]!, status: 'ACTIVE', ...fields });
        return { member: created.toObject(), created: true };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const existing = await this.models.members.findById(memberId).lean<MemberDoc>().exec();
        if (existing) return { member: existing, created: false };
        if (attempt >= MAX_CODE_ATTEMPTS) throw error;
      }
    }
  }
}
