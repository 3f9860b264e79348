import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';
import type { MemberLookup } from './member-lookup.service';
import type { RegisterMemberInput } from './member-input';
import type { SignUpService } from './sign-up.service';

/** Joins from LINE are the line service's registrations. */
const LINE_CALLER: Caller = { kind: 'service', service: 'line' };
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
 * - after the member, before the answer: the claim's member exists and is answered, created: false.
 * Nothing stays stuck: a claim without its member only waits for the next join of its LINE user, its contact
 * claims are cleaned by ContactClaims when anyone else asks for the contact, the bonus item is dropped.
 * A refused registration (a contact another member holds, bad input) removes the claim, so a later join with
 * other details is not blocked. The claimed member since withdrawn: the claim is removed and the LINE user joins
 * anew (a new member, a new card, a new sign-up bonus; withdrawing gave up the old one). Since merged: the
 * survivor is answered (their card is the one the LINE user now holds).
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
    // refused before anything is written
    this.signUp.check(LINE_CALLER, input);
    for (let attempt = 1; attempt <= MAX_JOIN_ATTEMPTS; attempt += 1) {
      const claim = await claimOnce(this.models.lineJoins, { _id: request.lineUserId, memberId: new Types.ObjectId(), createdAt: this.clock() });
      // released between our insert and our read: claimed afresh
      const held = claim.won ? claim.doc : claim.existing;
      if (!held) continue;
      const memberId = held.memberId;
      if (!claim.won) {
        const found = await this.models.members.findById(memberId).lean<MemberDoc>().exec();
        const current = found && (await this.lookup.currentMember(found));
        if (current && current.status !== 'WITHDRAWN') return outcome(current, false);
        if (found) {
          await this.models.lineJoins.deleteOne({ _id: request.lineUserId, memberId });
          continue;
        }
      }
      try {
        const { member, created } = await this.signUp.registerAs(LINE_CALLER, input, memberId);
        return outcome(member, created);
      } catch (error) {
        await this.releaseClaim(request.lineUserId, memberId);
        throw error;
      }
    }
    throw new AppError('This LINE account is joining in another request; try again', 'SERVICE_UNAVAILABLE');
  }

  /**
   * Removes a refused join's claim. A twin under the same claim may have stored the member meanwhile (with details
   * of its own): then the claim is put back, so the LINE user keeps that one member.
   */
  private async releaseClaim(lineUserId: string, memberId: Types.ObjectId): Promise<void> {
    await this.models.lineJoins.deleteOne({ _id: lineUserId, memberId });
    if (await this.models.members.exists({ _id: memberId })) {
      await insertOnce(this.models.lineJoins, { _id: lineUserId, memberId, createdAt: this.clock() });
    }
  }
}

function outcome(member: MemberDoc, created: boolean): LineJoinOutcome {
  return { memberId: member._id.toHexString(), memberCode: member.memberCode, created };
}
