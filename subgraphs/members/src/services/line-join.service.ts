import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import { rejoinedKey, rejoinedMarksOf, type LineJoinDoc } from '../models/line-join.model';
import type { MemberDoc } from '../models/member.model';
import type { MemberLookup } from './member-lookup.service';
import type { RegisterMemberInput } from './member-input';
import type { SignUpService } from './sign-up.service';

/** The line service acting for a member it verified (their LINE login): joins from LINE and member-page profile changes. */
export const LINE_CALLER: Caller = { kind: 'service', service: 'line' };
/** Rounds of "claim, find a withdrawn member or a claim released meanwhile, claim again". */
const MAX_JOIN_ATTEMPTS = 3;

export interface LineJoinRequest {
  lineUserId: string;
  displayName: string;
  email: string | null;
  phone: string | null;
  birthday: string | null;
  marketingConsent: boolean;
}

export interface LineJoinOutcome {
  memberId: string;
  memberCode: string;
  created: boolean;
}

/**
 * One member per LINE user joining from LINE, without transactions. The join first inserts its claim in
 * member_line_joins (`_id` the LINE user id) naming the member id it will register; the member is then registered
 * under that id through the sign-up path (contact claims, the sign-up bonus queued in the members outbox first).
 * Crash points, and what the next join of the same LINE user finds:
 * - after the claim, before or during the contact claims or the bonus item: a claim whose member does not exist.
 *   The next join completes the registration under the claim's member id with its own details (contact claims
 *   naming that id are shared, the bonus item is keyed by it and rearmed once the member is stored). A twin join
 *   running at this moment does the same: both insert the member under one id, one insert wins (created: true),
 *   the other reads it (created: false).
 * - after the member, before the bonus is delivered: the outbox worker delivers it (the item was written first).
 * - after the member, before the answer: the claim's member exists and is answered, created: false.
 * Nothing stays stuck: a claim without its member only waits for the next join of its LINE user, its contact
 * claims are cleaned by ContactClaims when anyone else asks for the contact, the bonus item is dropped.
 * A refused registration (a contact another member holds, bad input) keeps the claim: a claim without its member
 * blocks nothing (the next join completes it under its member id with its own details), while removing it would
 * let a twin still storing the member under it end with a member and no claim, which a later join after a
 * withdrawal would then take for a first join (a new sign-up bonus). The claimed member since withdrawn: the claim is removed and the LINE user joins
 * anew: a new member and card, but no second sign-up bonus (withdrawing and joining again must not be a way to
 * collect it over and over): a `rejoined:<LINE user id>:<member id>` mark is inserted before the old claim is
 * removed, and a join with a mark registers without the bonus. Since merged: the survivor is answered (their card is the one
 * the LINE user now holds). What is left: a twin refused (its contact someone else's) while the other twin, with
 * other details, is still storing the member releases contact claims they share; the member then holds a contact
 * without its claim until it changes.
 */
export class LineJoinService {
  constructor(
    private readonly models: MembersModels,
    private readonly signUp: SignUpService,
    private readonly lookup: MemberLookup,
    private readonly clock: () => Date,
  ) {}

  async join(request: LineJoinRequest): Promise<LineJoinOutcome> {
    const input: RegisterMemberInput = {
      displayName: request.displayName,
      email: request.email,
      phone: request.phone,
      birthday: request.birthday,
      marketingConsent: request.marketingConsent,
      consentSource: 'LINE',
      registeredVia: 'ONLINE',
    };
    // a repeat is answered whatever else it carries; a new join is checked before anything is written
    const joined = await this.models.lineJoins.findById(request.lineUserId).lean<LineJoinDoc>().exec();
    const standing = joined && (await this.standing(joined));
    if (standing && standing !== 'ABSENT' && standing !== 'WITHDRAWN') return outcome(standing, false);
    this.signUp.check(LINE_CALLER, input);
    for (let attempt = 1; attempt <= MAX_JOIN_ATTEMPTS; attempt += 1) {
      const claim = await claimOnce(this.models.lineJoins, { _id: request.lineUserId, memberId: new Types.ObjectId(), createdAt: this.clock() });
      // released between our insert and our read: claimed afresh
      const held = claim.won ? claim.doc : claim.existing;
      if (!held) continue;
      if (!claim.won) {
        const now = await this.standing(held);
        if (now === 'WITHDRAWN') {
          // marked before the claim goes, so a crash in between cannot turn the next join into a first one
          // one mark per withdrawn member, so the birthday bonus finds the whole chain of a user's memberships
          await insertOnce(this.models.lineJoins, {
            _id: rejoinedKey(request.lineUserId, held.memberId),
            memberId: held.memberId,
            lineUserId: request.lineUserId,
            createdAt: this.clock(),
          });
          await this.models.lineJoins.deleteOne({ _id: request.lineUserId, memberId: held.memberId });
          continue;
        }
        if (now !== 'ABSENT') return outcome(now, false);
      }
      // a refused registration keeps the claim (see the class comment)
      const rejoined = rejoinedMarksOf([request.lineUserId]);
      const signupBonus = !(await this.models.lineJoins.exists(rejoined));
      const { member, created } = await this.signUp.registerAs(LINE_CALLER, input, held.memberId, { signupBonus });
      return outcome(member, created);
    }
    throw new AppError('This LINE account is joining in another request; try again', 'SERVICE_UNAVAILABLE');
  }

  /** What a claim's member is now: the member to answer (a merged one's survivor), WITHDRAWN, or ABSENT (not stored). */
  private async standing(claim: LineJoinDoc): Promise<MemberDoc | 'WITHDRAWN' | 'ABSENT'> {
    const found = await this.models.members.findById(claim.memberId).lean<MemberDoc>().exec();
    if (!found) return 'ABSENT';
    const current = await this.lookup.currentMember(found);
    return current && current.status !== 'WITHDRAWN' ? current : 'WITHDRAWN';
  }
}

function outcome(member: MemberDoc, created: boolean): LineJoinOutcome {
  return { memberId: member._id.toHexString(), memberCode: member.memberCode, created };
}
