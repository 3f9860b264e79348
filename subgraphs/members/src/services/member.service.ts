import { Types } from 'mongoose';
import { z } from 'zod';
import { assertCanReadMember, requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AlreadyExistsError, AppError, BadUserInputError, ForbiddenError, NotFoundError } from '@omo/lib/core/errors';
import type { MemberLoaders } from '../loaders/member.loaders';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../models';
import type { MemberDoc, RegistrationChannel } from '../models/member.model';
import { normalizeEmail, normalizePhone } from './contact';
import { ContactChangeLimit } from './contact-change-limit';
import { generateMemberCode, parseMemberCode } from './member-code';

export interface RegisterMemberInput {
  displayName: string;
  email?: string | null;
  phone?: string | null;
  registeredVia: RegistrationChannel;
  registeredStoreId?: string | null;
  tags?: string[] | null;
}

export interface UpdateMemberInput {
  displayName?: string | null;
  email?: string | null;
  phone?: string | null;
  tags?: string[] | null;
}

type ContactKind = 'email' | 'phone';

const displayNameSchema = z
  .string()
  .transform((s) => s.normalize('NFKC').trim())
  .pipe(z.string().min(1, 'must not be empty').max(50, 'must be at most 50 characters'));
const tagsSchema = z.array(z.string().regex(/^[\w:-]{1,40}$/, 'tags are 1-40 letters, digits, -, _ or :')).max(20);

/** A claim whose member never appeared is treated as a registration still in flight for this long. */
const IN_FLIGHT_CLAIM_MS = 30_000;
const MAX_CLAIM_ATTEMPTS = 3;
const MAX_CODE_ATTEMPTS = 5;
const MAX_MERGE_HOPS = 10;

function parseField<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadUserInputError(`${field} ${result.error.issues[0]?.message ?? 'is invalid'}`, { field });
  return result.data;
}

export function parseMemberId(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) {
    throw new BadUserInputError('Not a valid member id', { field: 'id' });
  }
  return new Types.ObjectId(id);
}

export function canSeeContactDetails(caller: Caller, member: MemberDoc): boolean {
  return caller.kind === 'staff' || (caller.kind === 'customer' && caller.memberId === member._id.toHexString());
}

/**
 * What a customer is told when the contact they ask for is someone else's: that it cannot be used, not that a
 * member holds it. The refusal itself still says the value is taken (nothing short of confirming it by a code sent
 * to it could hide that); ContactChangeLimit bounds how many values a member can try.
 */
function unusableContact(kind: ContactKind): BadUserInputError {
  const label = kind === 'email' ? 'e-mail address' : 'phone number';
  return new BadUserInputError(`This ${label} cannot be used; choose another one`, { field: kind });
}

export class MemberService {
  private readonly contactChanges: ContactChangeLimit;

  constructor(
    private readonly models: MembersModels,
    private readonly now: () => Date = () => new Date(),
    /** Where the sign-up bonus is queued; none in tools that only read or seed. */
    private readonly outbox?: Outbox,
  ) {
    this.contactChanges = new ContactChangeLimit(models.contactChangeAttempts, now);
  }

  async register(caller: Caller, input: RegisterMemberInput): Promise<MemberDoc> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff' && actor.kind !== 'pos' && actor.kind !== 'service') {
      throw new ForbiddenError('Only staff and POS keys can register members');
    }
    const displayName = parseField(displayNameSchema, input.displayName, 'displayName');
    const email = input.email ? normalizeEmail(input.email) : null;
    const phone = input.phone ? normalizePhone(input.phone) : null;
    if (!email && !phone) throw new BadUserInputError('An e-mail address or a phone number is required', { field: 'email' });
    const registeredStoreId = input.registeredStoreId?.trim() || null;
    if (input.registeredVia === 'STORE' && !registeredStoreId) {
      throw new BadUserInputError('registeredStoreId is required for a store registration', { field: 'registeredStoreId' });
    }
    if (actor.kind === 'pos' && (!registeredStoreId || !actor.storeIds.includes(registeredStoreId))) {
      throw new ForbiddenError('This key may only register members at its own stores');
    }
    if (input.tags && actor.kind === 'pos') throw new ForbiddenError('Only staff can set tags');
    const tags = parseField(tagsSchema, input.tags ?? [], 'tags');

    const memberId = new Types.ObjectId();
    const bonusKey = `signup-bonus:${memberId.toHexString()}`;
    const claimed: string[] = [];
    let member: MemberDoc;
    try {
      for (const [kind, value] of [['email', email], ['phone', phone]] as const) {
        if (value) claimed.push(await this.claimContact(caller, kind, value, memberId));
      }
      // queued before the member is stored, so a crash in between cannot lose the bonus (the handler drops the
      // item if the member never appears)
      await this.outbox?.enqueue(bonusKey, 'signup-bonus', { memberId: memberId.toHexString() });
      member = await this.insertWithFreshCode(memberId, {
        displayName,
        email,
        phone,
        registeredVia: input.registeredVia,
        registeredStoreId,
        tags,
      });
    } catch (error) {
      await this.models.contactClaims.deleteMany({ _id: { $in: claimed }, memberId });
      throw error;
    }
    await this.deliverSoon(bonusKey, 'signup-bonus', { memberId: memberId.toHexString() });
    return member;
  }

  /**
   * Delivers a queued side effect now if its target answers, so the caller sees it; otherwise the worker retries.
   * Rearmed first: its record is stored now, and a worker may have dropped the item while the insert was slow.
   */
  private async deliverSoon(key: string, type: string, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.outbox?.runNow(key, type, payload);
    } catch {
      // the item stays queued: the outbox worker delivers it later
    }
  }

  async update(caller: Caller, id: string, input: UpdateMemberInput): Promise<MemberDoc> {
    const member = await this.getForChange(caller, id);
    if (input.tags !== undefined && caller.kind !== 'staff') throw new ForbiddenError('Only staff can change tags');
    const set: Partial<MemberDoc> = {};
    if (input.displayName != null) set.displayName = parseField(displayNameSchema, input.displayName, 'displayName');
    if (input.tags != null) set.tags = parseField(tagsSchema, input.tags, 'tags');
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
    if (!emailAfter && !phoneAfter) throw new BadUserInputError('A member keeps an e-mail address or a phone number', { field: 'email' });

    // customers only: staff correct records in bulk, and nobody else may change a member
    if (caller.kind === 'customer' && changes.some((c) => c.to)) await this.contactChanges.take(member._id.toHexString());
    const claimed: string[] = [];
    try {
      for (const change of changes) {
        if (change.to) claimed.push(await this.claimContact(caller, change.kind, change.to, member._id));
      }
    } catch (error) {
      await this.models.contactClaims.deleteMany({ _id: { $in: claimed }, memberId: member._id });
      throw error;
    }
    const updated = await this.models.members
      .findOneAndUpdate({ _id: member._id }, { $set: set }, { new: true })
      .lean<MemberDoc>();
    if (!updated) throw new NotFoundError('Member');
    // Released after the member changed: a crash in between leaves a stale claim, which claimContact detects.
    const released = changes.filter((c) => c.from).map((c) => `${c.kind}:${c.from}`);
    if (released.length) await this.models.contactClaims.deleteMany({ _id: { $in: released }, memberId: member._id });
    return updated;
  }

  async withdraw(caller: Caller, id: string): Promise<MemberDoc> {
    const member = await this.getForChange(caller, id);
    if (member.status === 'WITHDRAWN') return member;
    const updated = await this.models.members
      .findOneAndUpdate(
        { _id: member._id, status: 'ACTIVE' },
        { $set: { status: 'WITHDRAWN', withdrawnAt: this.now(), email: null, phone: null } },
        { new: true },
      )
      .lean<MemberDoc>();
    const claims = [member.email && `email:${member.email}`, member.phone && `phone:${member.phone}`].filter(
      (c): c is string => Boolean(c),
    );
    await this.models.contactClaims.deleteMany({ _id: { $in: claims }, memberId: member._id });
    return updated ?? (await this.getById(member._id));
  }

  /** Resolves a scanned or typed card code; a merged member's code leads to the member it was merged into. */
  async resolveCode(caller: Caller, code: string, loaders: MemberLoaders): Promise<MemberDoc> {
    const actor = requireAuthenticated(caller);
    const memberCode = parseMemberCode(code);
    let member = await loaders.byCode.load(memberCode);
    for (let hops = 0; member?.status === 'MERGED' && member.mergedIntoId && hops < MAX_MERGE_HOPS; hops += 1) {
      member = await loaders.byId.load(member.mergedIntoId.toHexString());
    }
    if (!member) throw new NotFoundError('Member');
    if (actor.kind === 'customer') assertCanReadMember(actor, member._id.toHexString());
    // the card of a withdrawn membership records and redeems nothing; staff still look it up to help the customer
    if (member.status === 'WITHDRAWN' && actor.kind !== 'staff') throw new AppError('This card’s membership was withdrawn', 'NOT_FOUND');
    return member;
  }

  async findByContact(caller: Caller, email?: string | null, phone?: string | null): Promise<MemberDoc[]> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'staff') throw new ForbiddenError('Staff only');
    const or: Record<string, string>[] = [];
    if (email) or.push({ email: normalizeEmail(email) });
    if (phone) or.push({ phone: normalizePhone(phone) });
    if (!or.length) throw new BadUserInputError('Give an e-mail address or a phone number', { field: 'email' });
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
  async currentMember(member: MemberDoc): Promise<MemberDoc | null> {
    let current: MemberDoc | null = member;
    for (let hops = 0; current?.status === 'MERGED' && current.mergedIntoId && hops < MAX_MERGE_HOPS; hops += 1) {
      current = await this.models.members.findById(current.mergedIntoId).lean<MemberDoc>().exec();
    }
    return current;
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

  private async insertWithFreshCode(
    memberId: Types.ObjectId,
    fields: Omit<MemberDoc, '_id' | 'memberCode' | 'status' | 'createdAt' | 'updatedAt'>,
  ): Promise<MemberDoc> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const created = await this.models.members.create({ _id: memberId, memberCode: generateMemberCode(), status: 'ACTIVE', ...fields });
        return created.toObject();
      } catch (error) {
        // _id is fresh, so a duplicate key here is a member code collision: draw another code
        if (!isDuplicateKeyError(error) || attempt >= MAX_CODE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Claims an e-mail or phone for a member by inserting "<kind>:<value>". A clash with a live member is
   * ALREADY_EXISTS; a claim left by a crash (its member gone, or no longer holding that contact) is removed
   * and the claim retried.
   */
  private async claimContact(caller: Caller, kind: ContactKind, value: string, memberId: Types.ObjectId): Promise<string> {
    const key = `${kind}:${value}`;
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
      try {
        await this.models.contactClaims.create({ _id: key, memberId, createdAt: this.now() });
        return key;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const claim = await this.models.contactClaims.findById(key).lean();
      if (!claim) continue;
      if (claim.memberId.equals(memberId)) return key;
      const holder = await this.models.members.findById(claim.memberId).lean<MemberDoc>();
      // A holder that does not hold the value yet may be mid-update(): its fresh claim is in flight like a registration's
      const inFlight = this.now().getTime() - claim.createdAt.getTime() < IN_FLIGHT_CLAIM_MS;
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
}
