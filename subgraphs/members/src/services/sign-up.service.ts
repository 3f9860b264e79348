import { Types } from 'mongoose';
import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import { normalizeEmail, normalizePhone } from './contact';
import type { ContactClaims } from './contact-claims';
import { generateMemberCode } from './member-code';
import { displayNameSchema, parseField, tagsSchema, type RegisterMemberInput } from './member-input';

/** The members outbox item type that gives a new member the sign-up bonus. */
const SIGNUP_BONUS_OUTBOX_TYPE = 'signup-bonus';

const MAX_CODE_ATTEMPTS = 5;

/** Registration: the checks, the contact claims, a fresh card code, and the sign-up bonus queued before the member. */
export class SignUpService {
  constructor(
    private readonly models: MembersModels,
    private readonly contacts: ContactClaims,
    /** Where the sign-up bonus is queued; none in tools that only read or seed. */
    private readonly outbox?: Outbox,
  ) {}

  /** `memberId`: chosen by a caller that claimed something for the member before registering it (a Shopify customer link). */
  async register(caller: Caller, input: RegisterMemberInput, memberId = new Types.ObjectId()): Promise<MemberDoc> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff' && actor.kind !== 'pos' && actor.kind !== 'service') {
      throw new ForbiddenError('Only staff and POS keys can register members');
    }
    const displayName = parseField(displayNameSchema, input.displayName, 'displayName');
    const email = input.email ? normalizeEmail(input.email) : null;
    const phone = input.phone ? normalizePhone(input.phone) : null;
    if (!email && !phone) throw new BadUserInputError('An e-mail address or a phone number is required', { field: 'email' });
    const registeredStoreId = input.registeredStoreId?.trim() || null;
    if (input.registeredVia === 'STORE' && !registeredStoreId) {
      throw new BadUserInputError('registeredStoreId is required for a store registration', { field: 'registeredStoreId' });
    }
    if (actor.kind === 'pos' && (!registeredStoreId || !actor.storeIds.includes(registeredStoreId))) {
      throw new ForbiddenError('This key may only register members at its own stores');
    }
    if (input.tags && actor.kind === 'pos') throw new ForbiddenError('Only staff can set tags');
    const tags = parseField(tagsSchema, input.tags ?? [], 'tags');

    const bonusKey = `${SIGNUP_BONUS_OUTBOX_TYPE}:${memberId.toHexString()}`;
    const claimed: string[] = [];
    let member: MemberDoc;
    try {
      for (const [kind, value] of [['email', email], ['phone', phone]] as const) {
        if (value) claimed.push(await this.contacts.claim(caller, kind, value, memberId));
      }
      // queued before the member is stored, so a crash in between cannot lose the bonus (the handler drops the
      // item if the member never appears)
      await this.outbox?.enqueue(bonusKey, SIGNUP_BONUS_OUTBOX_TYPE, { memberId: memberId.toHexString() });
      member = await this.insertWithFreshCode(memberId, {
        displayName,
        email,
        phone,
        registeredVia: input.registeredVia,
        registeredStoreId,
        tags,
      });
    } catch (error) {
      await this.contacts.release(claimed, memberId);
      throw error;
    }
    await this.deliverSoon(bonusKey, { memberId: memberId.toHexString() });
    return member;
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
   * Not insertOnce: a clash here is not a claim lost to someone (the _id is fresh, so it is a member code
   * collision) but a cue to draw another code, and the caller needs the stored document with its timestamps.
   */
  private async insertWithFreshCode(
    memberId: Types.ObjectId,
    fields: Omit<MemberDoc, '_id' | 'memberCode' | 'status' | 'createdAt' | 'updatedAt'>,
  ): Promise<MemberDoc> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const created = await this.models.members.create({ _id: memberId, memberCode: generateMemberCode(), status: 'ACTIVE', ...fields });
        return created.toObject();
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt >= MAX_CODE_ATTEMPTS) throw error;
      }
    }
  }
}
