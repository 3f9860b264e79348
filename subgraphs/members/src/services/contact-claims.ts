import type { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { claimOnce, insertManyOnce, insertOnce } from '@omo/lib/core/claims';
import { AlreadyExistsError, BadUserInputError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import type { ContactClaimDoc } from '../models/contact-claim.model';
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
      if (this.isLive(claim, kind, value, holder)) {
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
   * The member import's claims, a batch's in one insert; where some clashed, the claims and their holders are read
   * back in one query each (FerretDB's duplicate-key error does not say which key clashed). Returns the keys the
   * members asked for hold now (taken by this call, or by an earlier run for the same member id). A claim a crash
   * left is removed, as claim does, for the caller's next round to take; a live one stays its holder's.
   */
  async claimMany(wanted: { kind: ContactKind; value: string; memberId: Types.ObjectId }[]): Promise<Set<string>> {
    const createdAt = this.clock();
    const docs = wanted.map((want) => ({ _id: contactClaimKey(want.kind, want.value), memberId: want.memberId, createdAt }));
    if (await insertManyOnce(this.models.contactClaims, docs)) return new Set(docs.map((doc) => doc._id));
    const claims = new Map(
      (await this.models.contactClaims.find({ _id: { $in: docs.map((doc) => doc._id) } }).lean<ContactClaimDoc[]>().exec()).map((claim) => [claim._id, claim]),
    );
    const foreign = wanted.flatMap((want) => {
      const claim = claims.get(contactClaimKey(want.kind, want.value));
      return claim && !claim.memberId.equals(want.memberId) ? [claim.memberId] : [];
    });
    const holders = new Map(
      (foreign.length ? await this.models.members.find({ _id: { $in: foreign } }).lean<MemberDoc[]>().exec() : []).map((member) => [member._id.toHexString(), member]),
    );
    const held = new Set<string>();
    for (const want of wanted) {
      const key = contactClaimKey(want.kind, want.value);
      const claim = claims.get(key);
      if (!claim) continue;
      if (claim.memberId.equals(want.memberId)) held.add(key);
      else if (!this.isLive(claim, want.kind, want.value, holders.get(claim.memberId.toHexString()))) {
        await this.models.contactClaims.deleteOne({ _id: key, memberId: claim.memberId });
      }
    }
    return held;
  }

  /**
   * Of the keys these members hold, those whose claim still names them, in one query: a claim older than
   * IN_FLIGHT_CLAIM_MS whose member is not stored yet can have been taken over since by another registration.
   */
  async stillHeld(held: { key: string; memberId: Types.ObjectId }[]): Promise<Set<string>> {
    if (!held.length) return new Set();
    const claims = await this.models.contactClaims.find({ _id: { $in: held.map((claim) => claim.key) } }).lean<ContactClaimDoc[]>().exec();
    const owners = new Map(claims.map((claim) => [claim._id, claim.memberId]));
    return new Set(held.filter((claim) => owners.get(claim.key)?.equals(claim.memberId)).map((claim) => claim.key));
  }

  /**
   * Whether a claim still stands for its holder: one not withdrawn that holds the value, or a claim young enough to
   * be a registration in flight (a holder that does not hold the value yet may be mid-update(), its claim in flight
   * like a registration's).
   */
  private isLive(claim: ContactClaimDoc, kind: ContactKind, value: string, holder: MemberDoc | null | undefined): boolean {
    if (holder?.status === 'WITHDRAWN') return false;
    return holder?.[kind] === value || this.clock().getTime() - claim.createdAt.getTime() < IN_FLIGHT_CLAIM_MS;
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
