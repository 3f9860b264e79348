import type { Types } from 'mongoose';
import type { MemberProfile } from '@omo/lib/contracts/members';
import { NotFoundError } from '@omo/lib/core/errors';
import { OBJECT_ID } from '@omo/lib/core/validation';
import type { MembersModels } from '../models';
import type { MarketingConsentDoc, MemberDoc } from '../models/member.model';
import { parseMemberId } from './member-id';
import type { MemberLookup } from './member-lookup.service';
import { consentOf } from './member-profile';
import { priorMemberships } from './prior-memberships';
import { LINE_CALLER } from './line-join.service';
import { withdrawnError, type ProfileChangeService } from './profile-change.service';

export interface BirthdayPage {
  members: { memberId: string; birthday: string; priorMemberIds?: string[] }[];
  next: string | null;
}

/** The member's own profile as the LINE member page shows and changes it, and the birthdays of a month. */
export class MemberProfiles {
  constructor(
    private readonly models: MembersModels,
    private readonly changes: ProfileChangeService,
    private readonly lookup: MemberLookup,
  ) {}

  /** The profile of the member this id is now (a merged member's survivor); NOT_FOUND when none. */
  async profile(memberId: string): Promise<MemberProfile> {
    return profileOf(await this.current(memberId));
  }

  /** Changes the birthday and consent of the member this id is now; an omitted field stays. */
  async update(
    memberId: string,
    change: { birthday?: string | null; marketingConsent?: boolean },
    source: MarketingConsentDoc['source'],
  ): Promise<MemberProfile> {
    const member = await this.current(memberId);
    // its contacts are erased and it receives nothing: there is no choice left to make
    if (member.status === 'WITHDRAWN') throw withdrawnError();
    return profileOf(await this.changes.update(LINE_CALLER, member._id.toHexString(), change, source));
  }

  /** ACTIVE members with a birthday in `month`, by id, after the id `after`, each with its prior memberships. */
  async birthdays(month: number, after: string | undefined, limit: number, registeredBefore?: Date): Promise<BirthdayPage> {
    const filter: { birthMonth: number; status: 'ACTIVE'; _id?: { $gt: Types.ObjectId }; createdAt?: { $lt: Date } } = { birthMonth: month, status: 'ACTIVE' };
    if (after !== undefined) filter._id = { $gt: parseMemberId(after, 'after') };
    if (registeredBefore !== undefined) filter.createdAt = { $lt: registeredBefore };
    const found = await this.models.members
      .find(filter, { birthday: 1 })
      .sort({ _id: 1 })
      .limit(limit + 1)
      .lean<Pick<MemberDoc, '_id' | 'birthday'>[]>()
      .exec();
    const page = found.slice(0, limit);
    const priors = await priorMemberships(this.models, page.map((member) => member._id));
    return {
      members: page.map((member) => {
        const memberId = member._id.toHexString();
        const prior = priors.get(memberId);
        return { memberId, birthday: String(member.birthday), ...(prior ? { priorMemberIds: prior } : {}) };
      }),
      next: found.length > limit ? (page.at(-1)?._id.toHexString() ?? null) : null,
    };
  }

  /** The member this id stands for now; an id that is not an ObjectId names no member (NOT_FOUND), as the contract says. */
  private async current(memberId: string): Promise<MemberDoc> {
    const found = OBJECT_ID.test(memberId) ? await this.models.members.findById(memberId).lean<MemberDoc>().exec() : null;
    const member = found && (await this.lookup.currentMember(found));
    if (!member) throw new NotFoundError('Member');
    return member;
  }
}

function profileOf(member: MemberDoc): MemberProfile {
  return {
    memberId: member._id.toHexString(),
    memberCode: member.memberCode,
    displayName: member.displayName,
    status: member.status,
    birthday: member.birthday ?? null,
    marketingConsent: consentOf(member),
  };
}
