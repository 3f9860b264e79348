import { membersContract } from '@omo/lib/contracts/members';
import type { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { internalClient, ServiceUnavailableError, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Locale } from '../i18n/locale';
import type { MemberPageTextKey } from '../i18n/member-page.messages';
import type { LinkClaims, LinkOutcome } from '../linking/link-claims';
import type { LineLinkDoc, LineLinkModel } from '../linking/line-link.model';
import { LIMITS, type LinkService } from '../linking/link.service';
import { fetchMemberRewards } from '../chat/chat-rewards.client';
import { receiptClaimMessage } from '../chat/receipt-claim-messages';
import { claimReceiptForMember } from '../chat/receipt-claim.client';
import { fetchAccountSummary, fetchMemberCard } from '../member-view/member-account.client';
import type { LineIdentity } from './id-token.verifier';
import { memberView, type MemberPageView } from './member-page.view';
import { MemberPageError } from './member-page.errors';
import type { ClaimInput, JoinInput, LinkInput, ProfileInput } from './member-page.input';

export interface MemberPageServiceDeps {
  services: ServiceDirectory;
  internalSecret: string;
  /** The one-to-one link of LINE users and members (every link a unique insert; the menu follows it). */
  claims: LinkClaims;
  /** Only to remove a link to an ended membership; links are made through `claims`. */
  links: LineLinkModel;
  /** The link page's credential check, shared so both pages answer the same. */
  linking: Pick<LinkService, 'verifyMember'>;
  /** Counts link attempts under the link page's limits (the same collection, so both pages share each user's). */
  limiter: AttemptLimiter;
  logger: Logger;
}

/**
 * The member page's rules. Who the caller is comes only from a verified LINE ID token (`LineIdentity`); members
 * and points are asked through their internal APIs, never their collections.
 */
export class MemberPageService {
  private readonly members: InternalClient<typeof membersContract>;

  constructor(private readonly deps: MemberPageServiceDeps) {
    const caller = { directory: deps.services, internalSecret: deps.internalSecret, service: 'line' };
    this.members = internalClient(membersContract, caller);
  }

  /** The card and everything around it for a linked member; the join and link forms' state otherwise. */
  async view(identity: LineIdentity, locale: Locale): Promise<MemberPageView> {
    const link = await this.deps.claims.linkOf(identity.lineUserId);
    if (!link) return { state: 'guest', locale };
    const card = await fetchMemberCard(this.deps, link.memberId);
    if (!card || card.status !== 'ACTIVE') return { state: 'inactive', locale };
    // the card is what the register needs: points, coupons or the profile being unreachable leaves it showing
    const [account, rewards, profile] = await Promise.all([
      this.optional('points', fetchAccountSummary(this.deps, card.memberId)),
      this.optional('rewards', fetchMemberRewards(this.deps, card.memberId)),
      this.optional('profile', this.members.profile({ memberId: card.memberId })),
    ]);
    return memberView(locale, { card, account, rewards, profile });
  }

  /**
   * Someone not linked joins: members creates the member (one per LINE user, the sign-up bonus through its outbox),
   * then this LINE user is linked to it. Each step is idempotent, so a retry after any crash completes the rest:
   * - crash after members created the member, before the link: the retry's joinFromLine answers the same member
   *   (created: false) and links it;
   * - crash after the link, before the rich menu was queued: the retry finds the link and queues the menu again
   *   (linkVerified of what is linked), and answers the card.
   */
  async join(identity: LineIdentity, input: JoinInput, locale: Locale): Promise<MemberPageView> {
    const linked = await this.liveLink(identity.lineUserId);
    if (linked) {
      await this.deps.claims.linkVerified(identity.lineUserId, linked.memberId);
      return this.view(identity, locale);
    }
    // a refusal because the contact is a member's tells the caller so: counted like a wrong pair on the link form,
    // or one LINE account could test a list of phones and e-mails for membership
    const reservation = await this.deps.limiter.reserve(LIMITS.pageTriesPerUser(identity.lineUserId));
    if (!reservation) throw new MemberPageError('RATE_LIMITED', 'tooManyTries', 429);
    const email = input.contact.includes('@') ? input.contact : null;
    let memberId: string;
    try {
      ({ memberId } = await this.members.joinFromLine({
        lineUserId: identity.lineUserId,
        displayName: input.name,
        email,
        phone: email ? null : input.contact,
        birthday: input.birthday,
        marketingConsent: input.marketingConsent,
        termsAccepted: true,
      }));
    } catch (error) {
      const refusal = refusalOf(error);
      if (!(refusal instanceof MemberPageError && refusal.text === 'offerLink')) await reservation.release();
      throw refusal;
    }
    await reservation.release();
    this.deps.logger.info({ memberId }, 'member joined from the LINE member page');
    return this.linkAndView(identity, memberId, locale);
  }

  /**
   * An existing member links this LINE account with their member code and phone or e-mail, under the link page's
   * per-user limit: a wrong pair counts, a right one or members failing to answer does not.
   */
  async link(identity: LineIdentity, input: LinkInput, locale: Locale): Promise<MemberPageView> {
    if (await this.liveLink(identity.lineUserId)) throw new MemberPageError('ALREADY_EXISTS', 'lineLinkedElsewhere', 409);
    const reservation = await this.deps.limiter.reserve(LIMITS.pageTriesPerUser(identity.lineUserId));
    if (!reservation) throw new MemberPageError('RATE_LIMITED', 'tooManyTries', 429);
    let memberId: string | null;
    try {
      memberId = await this.deps.linking.verifyMember(input.memberCode, input.contact);
    } catch (error) {
      await reservation.release();
      throw error;
    }
    if (!memberId) throw new MemberPageError('BAD_USER_INPUT', 'wrongCredentials', 400);
    await reservation.release();
    return this.linkAndView(identity, memberId, locale);
  }

  /** The member changes their birthday or marketing consent (recorded with source LINE). */
  async updateProfile(identity: LineIdentity, input: ProfileInput, locale: Locale): Promise<MemberPageView> {
    const link = await this.deps.claims.linkOf(identity.lineUserId);
    if (!link) throw new MemberPageError('NOT_FOUND', 'notLinked', 404);
    try {
      await this.members.updateProfile({ memberId: link.memberId, birthday: input.birthday, marketingConsent: input.marketingConsent, source: 'LINE' });
    } catch (error) {
      throw refusalOf(error);
    }
    return this.view(identity, locale);
  }

  /**
   * The linked member claims a receipt's points (the code typed, scanned, or in the page's URL from the receipt's
   * QR code), as in the chat: purchases decides, and the page shows the card with its answer.
   */
  async claimReceipt(identity: LineIdentity, input: ClaimInput, locale: Locale): Promise<MemberPageView> {
    const link = await this.deps.claims.linkOf(identity.lineUserId);
    if (!link) throw new MemberPageError('NOT_FOUND', 'notLinked', 404);
    const outcome = await claimReceiptForMember(this.deps, { memberId: link.memberId, code: input.code });
    const view = await this.view(identity, locale);
    if (view.state !== 'member') return view;
    return { ...view, claim: { claimed: 'claimed' in outcome, message: receiptClaimMessage({ locale }, outcome).text } };
  }

  /**
   * The member removes this LINE account's link (only the caller's own: by the token's LINE user and the member it
   * is linked to, so a link made meanwhile stays), then the guest menu follows, as LinkService.unlink does. A crash
   * between leaves the user unlinked with the members' menu: their next tap of unlink finds no link and still makes
   * the menu follow (to the guest menu) before it answers that nothing is linked.
   */
  async unlink(identity: LineIdentity, locale: Locale): Promise<MemberPageView> {
    const link = await this.deps.claims.linkOf(identity.lineUserId);
    if (!link) {
      await this.deps.claims.switchMenu(identity.lineUserId);
      throw new MemberPageError('NOT_FOUND', 'notLinked', 404);
    }
    const { deletedCount } = await this.deps.links.deleteOne({ _id: identity.lineUserId, memberId: link.memberId }).exec();
    if (deletedCount) this.deps.logger.info({ memberId: link.memberId }, 'LINE account unlinked on the member page');
    await this.deps.claims.switchMenu(identity.lineUserId);
    return { state: 'guest', locale, unlinked: true };
  }

  /**
   * The user's link, unless it leads to no active membership: withdrawing ended that membership, so its link is
   * removed (only that link, by LINE user and member; a new link made meanwhile stays) and the user may join or
   * link anew. A crash after the removal leaves the user simply unlinked, which the retry carries on from (the
   * menu then follows the next link).
   */
  private async liveLink(lineUserId: string): Promise<LineLinkDoc | null> {
    const link = await this.deps.claims.linkOf(lineUserId);
    if (!link) return null;
    const card = await fetchMemberCard(this.deps, link.memberId);
    if (card?.status === 'ACTIVE') return link;
    await this.deps.links.deleteOne({ _id: lineUserId, memberId: link.memberId }).exec();
    this.deps.logger.info({ memberId: link.memberId }, 'LINE link of an ended membership removed on the member page');
    // back to the guest menu, unless the join or link that follows links the user again first
    await this.deps.claims.switchMenu(lineUserId);
    return null;
  }

  private async linkAndView(identity: LineIdentity, memberId: string, locale: Locale): Promise<MemberPageView> {
    const refused = REFUSED_LINKS[await this.deps.claims.linkVerified(identity.lineUserId, memberId)];
    if (refused) throw new MemberPageError('ALREADY_EXISTS', refused, 409);
    return this.view(identity, locale);
  }

  private async optional<T>(part: string, answer: Promise<T>): Promise<T | null> {
    try {
      return await answer;
    } catch (error) {
      this.deps.logger.warn({ err: error, part }, 'member page shown without a part its owner could not answer');
      return null;
    }
  }
}

/** What the page says when a link is refused; linked and already-linked are successes. */
const REFUSED_LINKS: Partial<Record<LinkOutcome, MemberPageTextKey>> = {
  'user-linked-elsewhere': 'lineLinkedElsewhere',
  'member-linked-elsewhere': 'memberLinkedElsewhere',
};

/** members' refusals as the page's: a contact of another member offers linking it, a bad field is named. */
function refusalOf(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const code = error.extensions.code;
  if (code === 'ALREADY_EXISTS') return new MemberPageError('ALREADY_EXISTS', 'offerLink', 409);
  if (code === 'BAD_USER_INPUT') return new MemberPageError('BAD_USER_INPUT', error.extensions.field === 'birthday' ? 'birthdayInvalid' : 'badInput', 400);
  if (code === 'NOT_FOUND') return new MemberPageError('NOT_FOUND', 'inactive', 404);
  return new ServiceUnavailableError('members', error.message);
}
