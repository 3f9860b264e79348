import type { Types } from 'mongoose';
import { assertCanReadMember, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import type { MemberChangeHook } from '../partner-events/member-events';
import type { MarketingConsentDoc, MemberDoc } from '../models/member.model';
import { normalizeEmail, normalizePhone } from './contact';
import { ContactChangeLimit } from './contact-change-limit';
import { contactClaimKey, type ContactClaims, type ContactKind } from './contact-claims';
import { displayNameSchema, parseField, tagsSchema, type UpdateMemberInput } from './member-input';
import { parseMemberId } from './member-id';
import { birthdayFields, consentChoice } from './member-profile';

/** A member's own record changing: profile and contacts (claimed before, released after), and withdrawal. */
export class ProfileChangeService {
  private readonly contactChanges: ContactChangeLimit;

  constructor(
    private readonly models: MembersModels,
    private readonly contacts: ContactClaims,
    private readonly clock: () => Date,
    /** Partner events: member.withdrawn, queued before the withdrawal is written. */
    private readonly memberEvents?: MemberChangeHook,
  ) {
    this.contactChanges = new ContactChangeLimit(models.contactChangeAttempts, clock);
  }

  /**
   * `consentSource`: where a consent change was made; omitted, the member themself (ONLINE) or staff (STAFF).
   * A consent or birthday sent unchanged is not rewritten, so a choice's `updatedAt` says when it was made.
   */
  async update(caller: Caller, id: string, input: UpdateMemberInput, consentSource?: MarketingConsentDoc['source']): Promise<MemberDoc> {
    const member = await this.getForChange(caller, id);
    if (member.status !== 'ACTIVE') throw withdrawnError();
    if (input.tags !== undefined && caller.kind !== 'staff') throw new ForbiddenError('Only staff can change tags');
    const now = this.clock();
    const set: Partial<MemberDoc> = {};
    if (input.displayName != null) set.displayName = parseField(displayNameSchema, input.displayName, 'displayName');
    if (input.tags != null) set.tags = parseField(tagsSchema, input.tags, 'tags');
    if (input.birthday !== undefined) Object.assign(set, birthdayFields(input.birthday, now));
    if (input.marketingConsent != null && input.marketingConsent !== member.marketingConsent?.granted) {
      set.marketingConsent = consentChoice(input.marketingConsent, consentSource ?? sourceOf(caller), now);
    }
    const changes: { kind: ContactKind; from: string | null; to: string | null }[] = [];
    for (const kind of ['email', 'phone'] as const) {
      const raw = input[kind];
      if (raw === undefined) continue;
      const to = raw === null || raw === '' ? null : kind === 'email' ? normalizeEmail(raw) : normalizePhone(raw);
      if (to !== (member[kind] ?? null)) changes.push({ kind, from: member[kind] ?? null, to });
      set[kind] = to;
    }
    const emailAfter = set.email !== undefined ? set.email : member.email;
    const phoneAfter = set.phone !== undefined ? set.phone : member.phone;
    // asked of a change of contacts only: a register customer may be a member without any (register-customer.service.ts)
    if (changes.length && !emailAfter && !phoneAfter) throw new BadUserInputError('A member keeps an e-mail address or a phone number', { field: 'email' });

    // customers only: staff correct records in bulk, and nobody else may change a member
    if (caller.kind === 'customer' && changes.some((c) => c.to)) await this.contactChanges.take(member._id.toHexString());
    const claimed: string[] = [];
    try {
      for (const change of changes) {
        if (change.to) claimed.push(await this.contacts.claim(caller, change.kind, change.to, member._id));
      }
    } catch (error) {
      await this.contacts.release(claimed, member._id);
      throw error;
    }
    // ACTIVE in the filter: a withdrawal landing after our read must not get a birthday or contact written back
    const updated = await this.models.members
      .findOneAndUpdate({ _id: member._id, status: 'ACTIVE' }, { $set: set }, { new: true })
      .lean<MemberDoc>();
    if (!updated) {
      await this.contacts.release(claimed, member._id);
      throw withdrawnError();
    }
    // Released after the member changed: a crash in between leaves a stale claim, which ContactClaims.claim detects.
    const released = changes.flatMap((c) => (c.from ? [contactClaimKey(c.kind, c.from)] : []));
    if (released.length) await this.contacts.release(released, member._id);
    return updated;
  }

  async withdraw(caller: Caller, id: string): Promise<MemberDoc> {
    const member = await this.getForChange(caller, id);
    if (member.status === 'WITHDRAWN') return member;
    const now = this.clock();
    await this.memberEvents?.before('member.withdrawn', member._id);
    const updated = await this.models.members
      .findOneAndUpdate(
        { _id: member._id, status: 'ACTIVE' },
        // the birthday is personal data like the contacts: a withdrawn membership keeps none of it; and ending a
        // membership is a refusal of its marketing messages, recorded as one so every reader sees it
        {
          $set: {
            status: 'WITHDRAWN',
            withdrawnAt: now,
            email: null,
            phone: null,
            birthday: null,
            birthMonth: null,
            marketingConsent: consentChoice(false, sourceOf(caller), now),
          },
        },
        { new: true },
      )
      .lean<MemberDoc>();
    const held = (['email', 'phone'] as const).flatMap((kind) => {
      const value = member[kind];
      return value ? [contactClaimKey(kind, value)] : [];
    });
    await this.contacts.release(held, member._id);
    return updated ?? (await this.getById(member._id));
  }

  private async getById(id: Types.ObjectId): Promise<MemberDoc> {
    const member = await this.models.members.findById(id).lean<MemberDoc>();
    if (!member) throw new NotFoundError('Member');
    return member;
  }

  private async getForChange(caller: Caller, id: string): Promise<MemberDoc> {
    const actor = requireAuthenticated(caller);
    const memberId = parseMemberId(id);
    if (actor.kind === 'pos') throw new ForbiddenError('POS keys cannot change members');
    assertCanReadMember(actor, memberId.toHexString());
    const member = await this.getById(memberId);
    if (member.status === 'MERGED') throw new BadUserInputError('This member was merged into another member', { field: 'id' });
    return member;
  }
}

/** Where a change without a named source was made: the member themself online, the line service on LINE, else staff. */
function sourceOf(caller: Caller): MarketingConsentDoc['source'] {
  if (caller.kind === 'customer') return 'ONLINE';
  return caller.kind === 'service' && caller.service === 'line' ? 'LINE' : 'STAFF';
}

export function withdrawnError(): AppError {
  return new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
}
