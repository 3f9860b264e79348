import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import type { BearerVerifier } from '@omo/lib/core/bearer-tokens';
import { insertOnce } from '@omo/lib/core/claims';
import { AlreadyExistsError, AppError, BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import { currentMemberClient, membersContract } from '@omo/lib/contracts/members';
import type { CurrentMemberLookup } from '@omo/lib/core/customer-status';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import { HOUR_MS } from '@omo/lib/core/time';
import type { LinkClaimModel } from './link-claim.model';
import type { LinkCodeModel } from './link-code.model';
import type { LinkNonceModel } from './link-nonce.model';
import type { LinkTokenDoc, LinkTokenModel } from './link-token.model';
import { LinkClaims, type LinkOutcome } from './link-claims';
import type { LineLinkDoc, LineLinkModel } from './line-link.model';
import type { LineUserModel } from '../webhook/line-user.model';
import type { LineClient } from '../line-api/line.client';
import type { AttemptLimit, AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { generateLinkCode, generateNonce, secretDigest } from './link-secrets';

const MINUTE = 60_000;
/** LINE's link tokens work for 10 minutes; our nonces and codes live as long. */
export const LINK_TTL_MS = 10 * MINUTE;
export const CODES_PER_HOUR = 5;

/**
 * Rate limits. The link page counts per link token and per LINE user, not per IP address: behind a proxy or
 * carrier NAT one address is many customers, so an IP limit would let one guesser lock everyone out; and the
 * page only takes link tokens we issued to real LINE users, so each try costs a guesser a LINE account's quota.
 */
export const LIMITS = {
  codesIssued: (memberId: string): AttemptLimit => ({ key: `code-issue:${memberId}`, limit: CODES_PER_HOUR, windowMs: HOUR_MS }),
  codeTries: (lineUserId: string): AttemptLimit => ({ key: `code-try:${lineUserId}`, limit: 5, windowMs: 10 * MINUTE }),
  pageTriesPerToken: (tokenDigest: string): AttemptLimit => ({ key: `page-token:${tokenDigest}`, limit: 5, windowMs: LINK_TTL_MS }),
  pageTriesPerUser: (lineUserId: string): AttemptLimit => ({ key: `page-user:${lineUserId}`, limit: 10, windowMs: HOUR_MS }),
};

export interface LinkModels {
  links: LineLinkModel;
  users: LineUserModel;
  tokens: LinkTokenModel;
  nonces: LinkNonceModel;
  codes: LinkCodeModel;
  claims: LinkClaimModel;
}

export interface LinkServiceDeps {
  models: LinkModels;
  client: LineClient;
  /** Makes the user's rich menu follow their link (members' menu when linked, guest menu otherwise), durably. */
  followMenu: (lineUserId: string) => Promise<void>;
  limiter: AttemptLimiter;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  logger: Logger;
}

/** A fresh code colliding with a live one is a one-in-10^11 event; a few tries settle it. */
const MAX_CODE_COLLISIONS = 5;

/**
 * Linking LINE users to members, one to one. Every exclusive step is a unique insert: the link itself (`_id` =
 * LINE user id, unique memberId), the use of a nonce or code (line_link_claims), each counted attempt.
 */
export class LinkService {
  private readonly models: LinkModels;
  private readonly currentMember: CurrentMemberLookup;
  private readonly claims: LinkClaims;

  constructor(private readonly deps: LinkServiceDeps) {
    this.models = deps.models;
    this.claims = new LinkClaims({ ...deps.models, client: deps.client, followMenu: deps.followMenu, clock: deps.clock, logger: deps.logger });
    this.currentMember = currentMemberClient(deps.services, deps.internalSecret, 'line');
  }

  private digest(kind: 'token' | 'nonce' | 'code', value: string): string {
    return secretDigest(this.deps.internalSecret, kind, value);
  }

  private expiry(from: Date): Date {
    return new Date(from.getTime() + LINK_TTL_MS);
  }

  /** Staff and the member themself see the linked account; anyone else, nothing. */
  assertCanSeeLink(caller: Caller, memberId: string): void {
    const actor = requireAuthenticated(caller);
    if (actor.kind === 'staff' || (actor.kind === 'customer' && actor.memberId === memberId)) return;
    throw new ForbiddenError('Only staff and the member see the linked LINE account');
  }

  /** A one-time code for the calling customer to send in the LINE chat. */
  async issueCode(caller: Caller): Promise<{ code: string; expiresAt: Date }> {
    const actor = requireAuthenticated(caller);
    if (actor.kind !== 'customer') throw new ForbiddenError('Only a customer can link their own LINE account');
    // a merged member's login links the member it was merged into: a code for the old id would give the survivor a
    // second LINE account, one the one-to-one rule on memberId cannot see
    const memberId = await this.activeMemberOf(actor.memberId);
    if (!memberId) throw new ForbiddenError('Only an active member can link a LINE account');
    if (await this.models.links.exists({ memberId })) {
      throw new AlreadyExistsError('A LINE account is already linked to this member: unlink it first');
    }
    if (!(await this.deps.limiter.reserve(LIMITS.codesIssued(memberId)))) {
      throw new AppError(`At most ${CODES_PER_HOUR} link codes an hour: try again later`, 'FORBIDDEN', { limit: CODES_PER_HOUR });
    }
    const now = this.deps.clock();
    await this.models.codes.deleteMany({ memberId, expiresAt: { $lte: now } }).exec();
    for (let collision = 0; collision < MAX_CODE_COLLISIONS; collision += 1) {
      const code = generateLinkCode();
      if (await insertOnce(this.models.codes, { _id: this.digest('code', code), memberId, createdAt: now, expiresAt: this.expiry(now) })) {
        return { code, expiresAt: this.expiry(now) };
      }
    }
    throw new Error(`${MAX_CODE_COLLISIONS} fresh link codes in a row collided with live ones`);
  }

  /** Removes a member's link and puts the LINE user back on the guest menu; false if nothing was linked. */
  async unlink(caller: Caller, memberId: string | null | undefined): Promise<boolean> {
    const target = this.memberToUnlink(caller, memberId);
    const link = await this.linkOfMember(target);
    if (!link) return false;
    const { deletedCount } = await this.models.links.deleteOne({ _id: link._id, memberId: target }).exec();
    if (!deletedCount) return false;
    this.deps.logger.info({ memberId: target }, 'LINE account unlinked');
    await this.claims.switchMenu(link._id);
    return true;
  }

  private memberToUnlink(caller: Caller, memberId: string | null | undefined): string {
    const actor = requireAuthenticated(caller);
    if (actor.kind === 'customer') {
      if (memberId && memberId !== actor.memberId) throw new ForbiddenError('A customer can only unlink their own LINE account');
      return actor.memberId;
    }
    if (actor.kind === 'staff') {
      if (!memberId) throw new BadUserInputError('memberId is required for staff', { field: 'memberId' });
      return memberId;
    }
    throw new ForbiddenError('Only staff and the member themself can unlink a LINE account');
  }

  linkOf(lineUserId: string): Promise<LineLinkDoc | null> {
    return this.claims.linkOf(lineUserId);
  }

  linkOfMember(memberId: string): Promise<LineLinkDoc | null> {
    return this.claims.linkOfMember(memberId);
  }

  /** Remembers which LINE user a link token was issued to: the page accepts only tokens we asked for. */
  async recordLinkToken(lineUserId: string, linkToken: string): Promise<void> {
    const now = this.deps.clock();
    // a token recorded already keeps its first record (the same user, and the expiry it was issued with)
    await insertOnce(this.models.tokens, { _id: this.digest('token', linkToken), lineUserId, issuedAt: now, expiresAt: this.expiry(now) });
  }

  /** The unexpired link token record, or null. */
  async findLinkToken(linkToken: string): Promise<LinkTokenDoc | null> {
    const doc = await this.models.tokens.findById(this.digest('token', linkToken)).lean<LinkTokenDoc>().exec();
    return doc && doc.expiresAt > this.deps.clock() ? doc : null;
  }

  /**
   * Asks the members service whether the member code and e-mail (anything with an @) or phone belong together.
   * The member id, or null for wrong or malformed credentials (one answer for both, so nothing is learnt).
   */
  async verifyMember(memberCode: string, contact: string): Promise<string | null> {
    const field = contact.includes('@') ? 'email' : 'phone';
    try {
      const members = internalClient(membersContract, { directory: this.deps.services, internalSecret: this.deps.internalSecret, service: 'line' });
      const { memberId } = await members.verifyIdentity({ memberCode, [field]: contact });
      return memberId;
    } catch (error) {
      const code = error instanceof AppError ? error.extensions.code : undefined;
      if (code === 'NOT_FOUND' || code === 'BAD_USER_INPUT') return null;
      throw error;
    }
  }

  /**
   * The member a customer token (the JWT the EC site's logged-in customer uses at the gateway) belongs to, if the
   * member is active; a merged member's token leads to the survivor. Null for a bad, expired or non-customer token.
   */
  async verifyCustomerToken(token: string, customers: BearerVerifier): Promise<string | null> {
    let caller: Caller;
    try {
      caller = await customers.verify(token);
    } catch {
      return null;
    }
    if (caller.kind !== 'customer') return null;
    return this.activeMemberOf(caller.memberId);
  }

  /** The member a member id stands for now (the survivor of a merged one), or null if that one is not active. */
  private async activeMemberOf(memberId: string): Promise<string | null> {
    const member = await this.currentMember(memberId);
    return member?.status === 'ACTIVE' ? member.memberId : null;
  }

  /** The nonce for LINE's account-link dialog, bound to the member and to the LINE user of the link token. */
  async createNonce(token: LinkTokenDoc, memberId: string): Promise<string> {
    const nonce = generateNonce();
    const now = this.deps.clock();
    await this.models.nonces.create({
      _id: this.digest('nonce', nonce),
      memberId,
      lineUserId: token.lineUserId,
      createdAt: now,
      expiresAt: this.expiry(now),
    });
    return nonce;
  }

  /** LINE's accountLink event succeeded: the nonce, used once by the user it was made for, links its member. */
  async linkByNonce(lineUserId: string, nonce: string): Promise<LinkOutcome> {
    const id = this.digest('nonce', nonce);
    const doc = await this.models.nonces.findById(id).lean().exec();
    if (!doc) return 'unknown';
    if (doc.lineUserId !== lineUserId) {
      this.deps.logger.warn('accountLink event with a nonce issued to another LINE user');
      return 'unknown';
    }
    if (doc.expiresAt <= this.deps.clock()) return 'expired';
    return this.claims.claimAndLink(`nonce:${id}`, lineUserId, doc.memberId);
  }

  /** A failed account link spends its nonce, so it cannot be replayed later. */
  async spendNonce(lineUserId: string, nonce: string): Promise<void> {
    const id = this.digest('nonce', nonce);
    const doc = await this.models.nonces.findById(id).lean().exec();
    if (doc?.lineUserId === lineUserId) await this.claims.claim(`nonce:${id}`, lineUserId, doc.memberId, true);
  }

  /** A code sent in the chat. Failed tries count against the LINE user; beyond the limit nothing is checked. */
  async linkByCode(lineUserId: string, code: string): Promise<LinkOutcome> {
    const reservation = await this.deps.limiter.reserve(LIMITS.codeTries(lineUserId));
    if (!reservation) return 'too-many-attempts';
    const id = this.digest('code', code);
    const doc = await this.models.codes.findById(id).lean().exec();
    if (!doc) return 'unknown';
    if (doc.expiresAt <= this.deps.clock()) return 'expired';
    // a live code is not a guess: whatever follows does not count against the user
    await reservation.release();
    const claimId = `code:${id}`;
    if ((await this.claims.claimState(claimId, lineUserId, doc.memberId)) === 'used') return 'used';
    // checked before the claim, so a refused link leaves the code usable once the conflict is resolved
    const conflict = await this.claims.conflict(lineUserId, doc.memberId);
    if (conflict) return conflict;
    return this.claims.claimAndLink(claimId, lineUserId, doc.memberId);
  }
}
