import { assertCanReadMember, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { MemberLoaders } from '../loaders/member.loaders';
import type { MembersModels } from '../models';
import type { LegacyCodeDoc } from '../models/legacy-code.model';
import type { MemberDoc } from '../models/member.model';
import { normalizeEmail, normalizePhone } from './contact';
import { normalizeLegacyCode } from './import/legacy-code';
import { parseMemberCode } from './member-code';
import { currentMemberOf } from './merge-chain';

/** Finding members: by card code, by contact, and where a merged member lives on now. */
export class MemberLookup {
  constructor(private readonly models: MembersModels) {}

  /** Resolves a scanned or typed card code; a merged member's code leads to the member it was merged into. */
  async resolveCode(caller: Caller, code: string, loaders: MemberLoaders): Promise<MemberDoc> {
    const actor = requireAuthenticated(caller);
    const member = await currentMemberOf(await this.byCardCode(code, loaders), (id) => loaders.byId.load(id.toHexString()));
    if (!member) throw new NotFoundError('Member');
    if (actor.kind === 'customer') assertCanReadMember(actor, member._id.toHexString());
    // the card of a withdrawn membership records and redeems nothing; staff still look it up to help the customer
    if (member.status === 'WITHDRAWN' && actor.kind !== 'staff') throw new AppError('This card’s membership was withdrawn', 'NOT_FOUND');
    return member;
  }

  /**
   * The member whose card this is: one of our codes, else an old card's code brought over by the member import
   * (member_legacy_codes). Ours are looked up first, so an old code can never take a card of ours over; a code that
   * is neither and not written like ours is refused as ours would be (BAD_USER_INPUT).
   */
  private async byCardCode(code: string, loaders: MemberLoaders): Promise<MemberDoc | null> {
    let memberCode: string | null = null;
    let malformed: BadUserInputError | null = null;
    try {
      memberCode = parseMemberCode(code);
    } catch (error) {
      if (!(error instanceof BadUserInputError)) throw error;
      malformed = error;
    }
    const member = memberCode ? await loaders.byCode.load(memberCode) : null;
    if (member) return member;
    const legacyCode = normalizeLegacyCode(code);
    const claim = legacyCode ? await this.models.legacyCodes.findById(legacyCode).lean<LegacyCodeDoc>().exec() : null;
    if (claim) return loaders.byId.load(claim.memberId.toHexString());
    if (malformed) throw malformed;
    return null;
  }

  async findByContact(caller: Caller, email?: string | null, phone?: string | null, namePrefix?: string | null): Promise<MemberDoc[]> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff') throw new ForbiddenError('Staff only');
    const or: Record<string, unknown>[] = [];
    if (email) or.push({ email: normalizeEmail(email) });
    if (phone) or.push({ phone: normalizePhone(phone) });
    if (namePrefix != null) or.push({ displayName: { $regex: `^${namePrefixPattern(namePrefix)}` } });
    if (!or.length) throw new BadUserInputError('Give an e-mail address, a phone number or the start of a name', { field: 'email' });
    return this.models.members.find({ $or: or }).sort({ createdAt: 1 }).limit(50).lean<MemberDoc[]>().exec();
  }

  /**
   * The active member holding this e-mail (else phone), for matching an online customer; invalid contacts match
   * nobody rather than failing the order.
   */
  async findActiveByContact(email: string | null, phone: string | null): Promise<MemberDoc | null> {
    const tryNormalize = (value: string | null, normalize: (v: string) => string) => {
      try {
        return value ? normalize(value) : null;
      } catch {
        return null;
      }
    };
    for (const [field, value] of [['email', tryNormalize(email, normalizeEmail)], ['phone', tryNormalize(phone, normalizePhone)]] as const) {
      if (!value) continue;
      const member = await this.models.members.findOne({ [field]: value, status: { $in: ['ACTIVE', 'MERGED'] } }).lean<MemberDoc>().exec();
      const current = member && (await this.currentMember(member));
      if (current?.status === 'ACTIVE') return current;
    }
    return null;
  }

  /** The member a merged member now lives on (following mergedIntoId); the member itself otherwise. */
  currentMember(member: MemberDoc): Promise<MemberDoc | null> {
    return currentMemberOf(member, (id) => this.models.members.findById(id).lean<MemberDoc>().exec());
  }
}

/**
 * The start of a name as an anchored regex (an index range scan), its characters taken literally, normalised as
 * display names are stored (NFKC: full-width ＡＢ and half-width ｶﾅ typed at an IME find AB and カナ).
 */
function namePrefixPattern(prefix: string): string {
  const trimmed = prefix.normalize('NFKC').trim();
  if (!trimmed || trimmed.length > 50) throw new BadUserInputError('namePrefix must be 1-50 characters', { field: 'namePrefix' });
  return trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
