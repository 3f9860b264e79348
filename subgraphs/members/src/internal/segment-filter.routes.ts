import { Types } from 'mongoose';
import { inBatch, inPeriod, segmentFilterHandler, type MembersCondition } from '@omo/lib/contracts/segment-filter';
import type { MemberDoc, MemberModel } from '../models/member.model';
import { consentOf } from '../services/member-profile';

type Profile = Pick<MemberDoc, '_id' | 'registeredVia' | 'tags' | 'status' | 'createdAt' | 'birthMonth' | 'marketingConsent'>;

function matches(condition: MembersCondition, member: Profile): boolean {
  switch (condition.kind) {
    case 'active':
      return member.status === 'ACTIVE';
    case 'registeredVia':
      return condition.in.includes(member.registeredVia);
    case 'registered':
      return inPeriod(member.createdAt, condition.period);
    case 'tags': {
      const tags = new Set(member.tags ?? []);
      return (!condition.any || condition.any.some((tag) => tags.has(tag))) && (!condition.all || condition.all.every((tag) => tags.has(tag)));
    }
    case 'marketingConsent':
      // a withdrawn or merged membership is sent nothing, whatever choice it last recorded
      return member.status === 'ACTIVE' && consentOf(member).granted;
    case 'birthdayMonth':
      return member.birthMonth != null && condition.months.includes(member.birthMonth);
  }
}

/**
 * POST /internal/segments/filter for the members' profile (lib/contracts/segment-filter.ts): one read of the batch's
 * profiles, every condition judged on it.
 */
export function membersSegmentFilter(members: MemberModel) {
  return segmentFilterHandler<MembersCondition>(async ({ memberIds, conditions }) => {
    const profiles = await members
      .find({ _id: inBatch(memberIds.map((id) => new Types.ObjectId(id))) }, { registeredVia: 1, tags: 1, status: 1, createdAt: 1, birthMonth: 1, marketingConsent: 1 })
      .lean<Profile[]>()
      .exec();
    return new Map(
      conditions.map(({ key, condition }) => [key, new Set(profiles.filter((p) => matches(condition, p)).map((p) => p._id.toHexString()))]),
    );
  });
}
