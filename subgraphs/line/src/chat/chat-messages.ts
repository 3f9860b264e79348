import type { messagingApi } from '@line/bot-sdk';
import { CHAT } from '../i18n/chat.messages';
import { say } from '../i18n/locale';
import { tierName } from '../i18n/tiers.messages';
import { entryTypeName, formatJstShortDate, formatMemberCode, formatNumber, formatPoints, formatPointsChange, tierProgressPercent, truncate } from '../member-view/format';
import type { AccountSummary } from '../member-view/member-account.client';
import { BRAND, IMAGE_URL_MAX, MUTED, NEGATIVE, POSITIVE, TRACK, box, commandButton, flexMessage, header, memberPageButtons, row, text, type FlexComponent, type ReplyView } from './flex';

export { ALT_TEXT_MAX, BUBBLE_MAX_BYTES, CAROUSEL_MAX_BUBBLES, CAROUSEL_MAX_BYTES, IMAGE_URL_MAX, type ReplyView } from './flex';

/** Members' names are at most 50 characters; a shorter cut keeps the header on one line on small phones. */
const NAME_MAX = 30;

/** The linking module answers this postback (issues a link token, replies with the link page). */
export const LINK_ACCOUNT_POSTBACK = 'action=link_account';

/**
 * The answer to a personal request in a group or multi-person chat, where everyone would see a balance or a card:
 * plain text, no buttons (a postback from it would come from the group again).
 */
export function sharedChatPointer(view: Pick<ReplyView, 'locale'>): messagingApi.TextMessage {
  return { type: 'text', text: say(CHAT.sharedChatPointer, view.locale) };
}

const honorific = (view: ReplyView, displayName: string) => say(CHAT.honorific(truncate(displayName, NAME_MAX)), view.locale);

/** How far the member is towards the next tier, as a bar; full at the top tier. */
function tierProgressBar(account: Pick<AccountSummary, 'qualifyingSpend' | 'nextTier' | 'spendToNextTier'>): messagingApi.FlexBox {
  const percent = tierProgressPercent(account);
  const filled = percent > 0 ? [box('vertical', [], { width: `${percent}%`, height: '6px', backgroundColor: BRAND, cornerRadius: '3px' })] : [];
  return box('vertical', filled, { height: '6px', backgroundColor: TRACK, cornerRadius: '3px', margin: 'sm' });
}

/** "ポイント" / "残高" / "points": balance, pending points, tier progress and the soonest expiry. */
export function pointsMessage(view: ReplyView, member: { displayName: string }, account: AccountSummary): messagingApi.FlexMessage {
  const { locale } = view;
  const soonest = account.expiring[0];
  const nextTier = account.nextTier === null ? CHAT.topTier : CHAT.toNextTier(account.nextTier, account.spendToNextTier);
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header(say(CHAT.pointsTitle, locale), honorific(view, member.displayName)),
    body: box(
      'vertical',
      [
        box('baseline', [
          text(formatNumber(account.balance), { size: 'xxl', weight: 'bold', flex: 0, ...(account.balance < 0 ? { color: NEGATIVE } : {}) }),
          text('pt', { size: 'md', color: MUTED, flex: 0, margin: 'sm' }),
        ]),
        row(say(CHAT.pending, locale), formatPoints(account.pendingBalance)),
        { type: 'separator', margin: 'lg' },
        row(say(CHAT.tier, locale), tierName(account.tier, locale), { weight: 'bold' }),
        tierProgressBar(account),
        text(say(nextTier, locale), { size: 'xs', color: MUTED }),
        { type: 'separator', margin: 'lg' },
        text(say(CHAT.expiringSoon, locale), { size: 'sm', color: MUTED, margin: 'lg' }),
        text(say(soonest ? CHAT.expiry(soonest) : CHAT.noExpiry, locale), { size: 'sm' }),
      ],
      { spacing: 'sm' },
    ),
    footer: box(
      'vertical',
      [
        box('horizontal', [commandButton(locale, CHAT.buttonCard, 'card', CHAT.typedCard), commandButton(locale, CHAT.buttonHistoryShort, 'history', CHAT.typedHistory)], { spacing: 'sm' }),
        ...memberPageButtons(view),
      ],
    ),
  };
  return flexMessage(say(CHAT.pointsAlt(account, soonest), locale), bubble);
}

/**
 * "会員証" / "card": the barcode as an image (Flex has no barcode component) at a short-lived URL. The member code
 * stays out of the altText, which lock screens show to anyone nearby.
 */
export function memberCardMessage(
  view: ReplyView,
  member: { displayName: string; memberCode: string },
  barcode: { url: string; expiresAt: Date },
): messagingApi.FlexMessage {
  const { locale } = view;
  if (barcode.url.length > IMAGE_URL_MAX) throw new Error(`image URL longer than LINE's ${IMAGE_URL_MAX} characters`);
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header(say(CHAT.cardTitle, locale), honorific(view, member.displayName)),
    // the PNG is about 2:1; "fit" letterboxes any other shape on white instead of cropping bars off
    hero: { type: 'image', url: barcode.url, size: 'full', aspectRatio: '2:1', aspectMode: 'fit', backgroundColor: '#FFFFFF' },
    body: box(
      'vertical',
      [
        text(say(CHAT.memberNumber, locale), { size: 'xs', color: MUTED }),
        text(formatMemberCode(member.memberCode), { size: 'lg', weight: 'bold' }),
        text(say(CHAT.showAtRegister(barcode.expiresAt), locale), { size: 'xs', color: MUTED, margin: 'md' }),
      ],
      { spacing: 'xs' },
    ),
    footer: box('vertical', [commandButton(locale, CHAT.buttonShowCardAgain, 'card', CHAT.typedCard), ...memberPageButtons(view)]),
  };
  return flexMessage(say(CHAT.cardAlt, locale), bubble);
}

/** "履歴" / "history": the newest point movements (the points service sends at most five). */
export function historyMessage(view: ReplyView, account: Pick<AccountSummary, 'history'>): messagingApi.FlexMessage {
  const { locale } = view;
  const rows: FlexComponent[] = account.history.map((entry) =>
    box('horizontal', [
      text(formatJstShortDate(entry.createdAt), { size: 'sm', color: MUTED, flex: 4 }),
      text(entryTypeName(entry.type, locale), { size: 'sm', flex: 4 }),
      text(formatPointsChange(entry.amount), { size: 'sm', flex: 4, align: 'end', color: entry.amount < 0 ? NEGATIVE : POSITIVE }),
    ]),
  );
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header(say(CHAT.historyTitle, locale), say(CHAT.latest(account.history.length), locale)),
    body: box('vertical', rows.length ? rows : [text(say(CHAT.noHistory, locale), { size: 'sm', color: MUTED })], { spacing: 'md' }),
    footer: box('vertical', [commandButton(locale, CHAT.buttonPoints, 'points', CHAT.typedPoints), ...memberPageButtons(view)]),
  };
  return flexMessage(say(CHAT.historyAlt(account.history), locale), bubble);
}

/**
 * Anything else from someone not linked yet: what linking gives, the button that starts it, and, when there is
 * a member page, the way to join there.
 */
export function guestHelpMessage(view: ReplyView): messagingApi.FlexMessage {
  const { locale } = view;
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    body: box(
      'vertical',
      [text(say(CHAT.guestHelp, locale), { size: 'md' }), ...(view.memberPageUrl ? [text(say(CHAT.guestJoin, locale), { size: 'sm', color: MUTED })] : [])],
      { spacing: 'md' },
    ),
    footer: box('vertical', [
      {
        type: 'button',
        style: 'primary',
        color: BRAND,
        height: 'sm',
        action: { type: 'postback', label: say(CHAT.buttonLink, locale), data: LINK_ACCOUNT_POSTBACK, displayText: say(CHAT.typedLink, locale) },
      },
      ...memberPageButtons(view),
    ]),
  };
  return flexMessage(say(CHAT.guestHelpAlt, locale), bubble);
}

/** Anything else from a member: the four things the chat does. */
export function memberHelpMessage(view: ReplyView): messagingApi.FlexMessage {
  const { locale } = view;
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    body: box('vertical', [text(say(CHAT.memberHelp, locale), { size: 'md' })], { spacing: 'md' }),
    footer: box(
      'vertical',
      [
        commandButton(locale, CHAT.buttonPoints, 'points', CHAT.typedPoints, 'primary'),
        commandButton(locale, CHAT.buttonCard, 'card', CHAT.typedCard),
        commandButton(locale, CHAT.buttonHistory, 'history', CHAT.typedHistory),
        commandButton(locale, CHAT.buttonRewards, 'rewards', CHAT.typedRewards),
        ...memberPageButtons(view),
      ],
      { spacing: 'sm' },
    ),
  };
  return flexMessage(say(CHAT.memberHelpAlt, locale), bubble);
}
