import { Types } from 'mongoose';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { inBatch, inPeriod, segmentFilterHandler, type MembersCondition } from '@omo/lib/contracts/segment-filter';
import type { MemberModel } from '../models/member.model';

type Profile = { _id: Types.ObjectId; registeredVia: string; tags?: string[] | null; status: string; createdAt: Date };

function matches(condition: MembersCondition, member: Profile): boolean {
  switch (condition.kind) {
    case 'active':
      return member.status === 'ACTIVE';
    case 'registeredVia':
      return condition.in.includes(member.registeredVia as 'STORE' | 'ONLINE');
    case 'registered':
      return inPeriod(member.createdAt, condition.period);
    case 'tags': {
      const tags = new Set(member.tags ?? []);
      return (!condition.any || condition.any.some((tag) => tags.has(tag))) && (!condition.all || condition.all.every((tag) => tags.has(tag)));
    }
    // answered by the members profile work (issue 16) once members keep consent and birthdays
    case 'marketingConsent':
    case 'birthdayMonth':
      throw new ServiceUnavailableError('members', 'not served yet');
  }
}

/**
 * POST /internal/segments/filter for the members' profile (lib/contracts/segment-filter.ts): one read of the batch's
 * profiles, every condition judged on it.
 */
export function membersSegmentFilter(members: MemberModel) {
  return segmentFilterHandler<MembersCondition>(async ({ memberIds, conditions }) => {
    const profiles = await members
      .find({ _id: inBatch(memberIds.map((id) => new Types.ObjectId(id))) }, { registeredVia: 1, tags: 1, status: 1, createdAt: 1 })
      .lean<Profile[]>()
      .exec();
    return new Map(
      conditions.map(({ key, condition }) => [key, new Set(profiles.filter((p) => matches(condition, p)).map((p) => p._id.toHexString()))]),
    );
  });
}
