import type { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import { AlreadyExistsError, BadUserInputError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';

export type ContactKind = 'email' | 'phone';

/** A claim whose member never appeared is treated as a registration still in flight for this long. */
const IN_FLIGHT_CLAIM_MS = 30_000;
/** Rounds of "insert, clash, remove a claim left by a crash" before reporting the contact as busy. */
const MAX_CLAIM_ATTEMPTS = 3;

export const contactClaimKey = (kind: ContactKind, value: string): string => `${kind}:${value}`;

/**
 * What a customer is told when the contact they ask for is someone else's: that it cannot be used, not that a
 * member holds it. The refusal itself still says the value is taken (nothing short of confirming it by a code sent
 * to it could hide that); ContactChangeLimit bounds how many values a member can try.
 */
function unusableContact(kind: ContactKind): BadUserInputError {
  const label = kind === 'email' ? 'e-mail address' : 'phone number';
  return new BadUserInputError(`This ${label} cannot be used; choose another one`, { field: kind });
}

/**
 * One member per e-mail address and per phone number, held by the insert of "<kind>:<value>" into
 * member_contact_claims (see ContactClaimDoc): registration, contact changes, withdrawal and merges all go through it.
 */
export class ContactClaims {
  constructor(
    private readonly models: MembersModels,
    private readonly clock: () => Date,
  ) {}

  /**
   * Claims an e-mail or phone for a member and returns the claim's key. A clash with a live member is
   * ALREADY_EXISTS; a claim left by a crash (its member gone, or no longer holding that contact) is removed
   * and the claim retried.
   */
  async claim(caller: Caller, kind: ContactKind, value: string, memberId: Types.ObjectId): Promise<string> {
    const key = contactClaimKey(kind, value);
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
      const result = await claimOnce(this.models.contactClaims, { _id: key, memberId, createdAt: this.clock() });
      if (result.won) return key;
      const claim = result.existing;
      if (!claim) continue;
      if (claim.memberId.equals(memberId)) return key;
      const holder = await this.models.members.findById(claim.memberId).lean<MemberDoc>();
      // A holder that does not hold the value yet may be mid-update(): its fresh claim is in flight like a registration's
      const inFlight = this.clock().getTime() - claim.createdAt.getTime() < IN_FLIGHT_CLAIM_MS;
      const live = holder?.status === 'WITHDRAWN' ? false : holder?.[kind] === value || inFlight;
      if (live) {
        const label = kind === 'email' ? 'e-mail address' : 'phone number';
        if (caller.kind === 'customer') throw unusableContact(kind);
        throw new AlreadyExistsError(
          `A member with this ${label} already exists`,
          caller.kind === 'staff' && holder ? { field: kind, existingMemberCode: holder.memberCode } : { field: kind },
        );
      }
      await this.models.contactClaims.deleteOne({ _id: key, memberId: claim.memberId });
    }
    if (caller.kind === 'customer') throw unusableContact(kind);
    throw new AlreadyExistsError(`This ${kind} is being registered by someone else; try again`, { field: kind });
  }

  /**
   * Hands a merged member's claim on `key` to the survivor, or writes the survivor's claim where an earlier run
   * already moved it or none was ever written; a claim someone else holds is left alone.
   */
  async moveTo(key: string, from: Types.ObjectId, to: Types.ObjectId): Promise<void> {
    const moved = await this.models.contactClaims.updateOne({ _id: key, memberId: from }, { $set: { memberId: to } });
    if (moved.matchedCount === 0) await insertOnce(this.models.contactClaims, { _id: key, memberId: to, createdAt: this.clock() });
  }

  /** Releases the member's claims on these keys (claims another member holds by now are left alone). */
  async release(keys: string[], memberId: Types.ObjectId): Promise<void> {
    await this.models.contactClaims.deleteMany({ _id: { $in: keys }, memberId });
  }
}
