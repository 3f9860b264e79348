import type { Types } from 'mongoose';
import type { MembersModels } from '../models';
import { lineUserOf, rejoinedMarksOf, type LineJoinDoc } from '../models/line-join.model';
import type { MemberDoc } from '../models/member.model';

/**
 * For each of these members, the other memberships of the same person (ids, sorted): the members merged into it
 * at any depth (`mergedIntoId`), the survivors of those found that were merged away themselves, and the earlier memberships of a LINE user who withdrew and joined again (the
 * `rejoined:` marks in member_line_joins, found through the user's claim or mark naming a member already found),
 * and so on through both, so a member merged into a rejoined one counts too. Points' birthday bonus gives a year
 * once over all of them. A chain is never broken by a crash: a merged member keeps its `mergedIntoId`, and a rejoin
 * marks the withdrawn member before it removes that member's claim, so one of the two always names it.
 * Queries per round of the walk, not per member: three, and a fourth when LINE users were found.
 */
export async function priorMemberships(models: MembersModels, memberIds: readonly Types.ObjectId[]): Promise<Map<string, string[]>> {
  const personOf = new Map<string, string>(memberIds.map((id) => [id.toHexString(), id.toHexString()]));
  const priors = new Map<string, string[]>();
  let frontier: Types.ObjectId[] = [...memberIds];
  while (frontier.length) {
    const [merged, survivors, joins] = await Promise.all([
      models.members.find({ mergedIntoId: { $in: frontier } }, { mergedIntoId: 1 }).lean<Pick<MemberDoc, '_id' | 'mergedIntoId'>[]>().exec(),
      // and up: a found membership that was itself merged away (e.g. a LINE join merged into a store card, which
      // then withdrew) leads to its survivor, the same person
      models.members.find({ _id: { $in: frontier }, mergedIntoId: { $ne: null } }, { mergedIntoId: 1 }).lean<Pick<MemberDoc, '_id' | 'mergedIntoId'>[]>().exec(),
      models.lineJoins.find({ memberId: { $in: frontier } }, { memberId: 1, lineUserId: 1 }).lean<Pick<LineJoinDoc, '_id' | 'memberId' | 'lineUserId'>[]>().exec(),
    ]);
    const found: { id: Types.ObjectId; person: string | undefined }[] = [
      ...merged.map((member) => ({ id: member._id, person: member.mergedIntoId ? personOf.get(member.mergedIntoId.toHexString()) : undefined })),
      ...survivors.map((member) => ({ id: member.mergedIntoId!, person: personOf.get(member._id.toHexString()) })),
    ];
    const personOfUser = new Map(joins.map((join) => [lineUserOf(join), personOf.get(join.memberId.toHexString())]));
    if (personOfUser.size) {
      const users = [...personOfUser.keys()];
      const marks = await models.lineJoins
        .find(rejoinedMarksOf(users), { memberId: 1, lineUserId: 1 })
        .lean<Pick<LineJoinDoc, '_id' | 'memberId' | 'lineUserId'>[]>()
        .exec();
      for (const mark of marks) found.push({ id: mark.memberId, person: personOfUser.get(lineUserOf(mark)) });
    }
    frontier = [];
    for (const { id, person } of found) {
      const hex = id.toHexString();
      if (!person || personOf.has(hex)) continue;
      personOf.set(hex, person);
      priors.set(person, [...(priors.get(person) ?? []), hex]);
      frontier.push(id);
    }
  }
  return new Map([...priors].map(([person, ids]) => [person, ids.sort()]));
}
