import type { messagingApi } from '@line/bot-sdk';
import type { Router } from 'express';
import type { AppConfig } from '@omo/lib/core/config';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import type { Locale } from '../i18n/locale';
import type { LineLinkDoc, LineLinkModel } from '../linking/line-link.model';
import type { EventContext } from '../webhook/event-context';
import { CARD_IMAGE_PATH, cardImageRoutes } from './card-image.routes';
import { CardTokens } from './card-token';
import { matchCommand, postbackCommand, redeemPostbackReward, type ChatCommand } from './chat-commands';
import { guestHelpMessage, historyMessage, memberCardMessage, memberHelpMessage, pointsMessage, sharedChatPointer, type ReplyView } from './chat-messages';
import { redeemedMessage, redeemRefusedMessage, rewardsMessage } from './chat-reward-messages';
import { fetchMemberRewards, redeemForMember } from './chat-rewards.client';
import { receiptClaimMessage, receiptNeedsLinkMessage } from './receipt-claim-messages';
import { claimReceiptForMember } from './receipt-claim.client';
import { parseReceiptCode } from '@omo/lib/contracts/receipt-code';
import { memberPageUrlOf } from '../line-api/liff-url';
import { fetchAccountSummary, fetchMemberCard, type MemberCard } from '../member-view/member-account.client';

export { isChatPostback } from './chat-commands';

export interface ChatDeps {
  links: LineLinkModel;
  services: ServiceDirectory;
  internalSecret: string;
  /**
   * LINE_PUBLIC_BASE_URL is where customers' phones fetch the member-card image. LINE only accepts https image
   * URLs (TLS 1.2+), so in production it must be an https URL reachable from the internet (the config refuses
   * anything else there); http works only against the fake LINE API in tests.
   */
  config: AppConfig;
  clock: () => Date;
  logger: Logger;
}

export interface Chat {
  onText(ctx: EventContext, text: string): Promise<void>;
  onPostback(ctx: EventContext, data: string): Promise<void>;
  /** A personal request in a group or multi-person chat: a pointer to the one-to-one chat, and nothing of the account. */
  onSharedChatRequest(reply: EventContext['reply'], locale: Locale): Promise<void>;
  /** GET /line/cards/:token.png, the member-card barcode image. */
  routes: Router;
}

/**
 * The customer chat: "ポイント", "会員証", "履歴", "特典" (and their English, full-width and postback forms) answered with
 * Flex cards built from the members and points services' internal APIs, in the customer's language (the event's
 * locale) only, with a button to the LIFF member page when there is one. Anything else, or anyone not linked, gets
 * a short help message. A receipt code claims its purchase's points for the linked member. A reward's button redeems it as the member (the points service's redeemForMember). An unreachable service throws ServiceUnavailableError, so the dispatcher's queue retries
 * the event rather than the customer getting a wrong answer.
 */
export function createChat(deps: ChatDeps): Chat {
  const tokens = new CardTokens(deps.internalSecret);
  const publicBase = deps.config.LINE_PUBLIC_BASE_URL.replace(/\/+$/, '');
  const memberPageUrl = memberPageUrlOf(deps.config);
  const viewOf = (ctx: EventContext): ReplyView => ({ locale: ctx.locale, memberPageUrl });

  /** The linked member as they are now (a merged member's link leads to the survivor); null: answer as to a guest. */
  async function linkedMember(userId: string): Promise<MemberCard | null> {
    const link = await deps.links.findById(userId).lean<LineLinkDoc>().exec();
    if (!link) return null;
    const member = await fetchMemberCard(deps, link.memberId);
    return member?.status === 'ACTIVE' ? member : null;
  }

  async function answer(view: ReplyView, member: MemberCard, command: ChatCommand | null): Promise<messagingApi.Message> {
    switch (command) {
      case 'points':
        return pointsMessage(view, member, await fetchAccountSummary(deps, member.memberId));
      case 'history':
        return historyMessage(view, await fetchAccountSummary(deps, member.memberId));
      case 'rewards': {
        const [account, offer] = await Promise.all([fetchAccountSummary(deps, member.memberId), fetchMemberRewards(deps, member.memberId)]);
        return rewardsMessage(view, account, offer);
      }
      case 'card': {
        const { token, expiresAt } = tokens.issue(member.memberCode, deps.clock());
        return memberCardMessage(view, member, { url: `${publicBase}${CARD_IMAGE_PATH}/${token}.png`, expiresAt });
      }
      default:
        return memberHelpMessage(view);
    }
  }

  async function handle(ctx: EventContext, command: ChatCommand | null): Promise<void> {
    const member = await linkedMember(ctx.userId);
    deps.logger.debug({ command, linked: member !== null, locale: ctx.locale }, 'chat request');
    await ctx.reply([member ? await answer(viewOf(ctx), member, command) : guestHelpMessage(viewOf(ctx))]);
  }

  /**
   * A reward's redeem button. The key is LINE's id of the event: the queue's retry of it, or LINE's redelivery,
   * redeems under the same key and answers the coupon already issued, never a second one.
   */
  async function redeem(ctx: EventContext, rewardId: string): Promise<void> {
    const member = await linkedMember(ctx.userId);
    if (!member) return ctx.reply([guestHelpMessage(viewOf(ctx))]);
    const outcome = await redeemForMember(deps, { memberId: member.memberId, rewardId, idempotencyKey: `line:${ctx.eventId}` });
    deps.logger.info({ rewardId, refused: 'refused' in outcome ? outcome.refused : null }, 'chat redemption');
    await ctx.reply(['redeemed' in outcome ? redeemedMessage(viewOf(ctx), outcome.redeemed) : redeemRefusedMessage(viewOf(ctx), outcome.refused, outcome.shortfall)]);
  }

  /**
   * A receipt code sent (typed, or read by LINE's QR reader and sent as text): the linked member claims the purchase.
   * Someone not linked is asked to link first, and the code is not used.
   */
  async function claimReceipt(ctx: EventContext, code: string): Promise<void> {
    const member = await linkedMember(ctx.userId);
    if (!member) return ctx.reply([receiptNeedsLinkMessage(viewOf(ctx))]);
    const outcome = await claimReceiptForMember(deps, { memberId: member.memberId, code });
    deps.logger.info({ refused: 'refused' in outcome ? outcome.refused : null }, 'chat receipt claim');
    await ctx.reply([receiptClaimMessage(viewOf(ctx), outcome)]);
  }

  return {
    onText: (ctx, text) => {
      const receipt = parseReceiptCode(text);
      return receipt ? claimReceipt(ctx, receipt.code) : handle(ctx, matchCommand(text));
    },
    onPostback: (ctx, data) => {
      const rewardId = redeemPostbackReward(data);
      return rewardId ? redeem(ctx, rewardId) : handle(ctx, postbackCommand(data));
    },
    onSharedChatRequest: (reply, locale) => reply([sharedChatPointer({ locale })]),
    routes: cardImageRoutes({ tokens, clock: deps.clock, logger: deps.logger }),
  };
}
