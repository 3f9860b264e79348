import type { messagingApi } from '@line/bot-sdk';
import { postbackData, type ChatCommand } from './chat-commands';
import {
  entryTypeName,
  formatJstDate,
  formatJstShortDate,
  formatJstTime,
  formatMemberCode,
  formatNumber,
  formatPoints,
  formatPointsChange,
  formatYen,
  tierName,
  truncate,
} from '../member-view/format';
import type { AccountSummary } from '../member-view/member-account.client';

/**
 * LINE's limits (Messaging API reference, Flex Message): altText at most 1500 characters; we keep to 400 so the
 * whole text fits notifications and the talk list. A bubble's JSON at most 30 KB. An image URL at most 2000
 * characters, HTTPS, PNG/JPEG, at most 1024 x 1024 px.
 */
export const ALT_TEXT_MAX = 400;
export const BUBBLE_MAX_BYTES = 30 * 1024;
export const IMAGE_URL_MAX = 2000;
/** Members' names are at most 50 characters; a shorter cut keeps the header on one line on small phones. */
const NAME_MAX = 30;

/**
 * The answer to a personal request in a group or multi-person chat, where everyone would see a balance or a card:
 * plain text, no buttons (a postback from it would come from the group again).
 */
export const SHARED_CHAT_POINTER: messagingApi.TextMessage = {
  type: 'text',
  text: 'ポイント・会員証・履歴は、ご本人だけに見えるよう1対1のトークでお送りしています。このアカウントとの1対1のトークで「ポイント」などと送ってください。',
};

/** The linking module answers this postback (issues a link token, replies with the link page). */
export const LINK_ACCOUNT_POSTBACK = 'action=link_account';

const BRAND = '#0B7A53';
const MUTED = '#8A8A8A';
const TRACK = '#E6E6E6';
const NEGATIVE = '#D93025';
const POSITIVE = '#1E8E3E';

type FlexComponent = messagingApi.FlexComponent;

function text(value: string, style: Omit<messagingApi.FlexText, 'type' | 'text'> = {}): messagingApi.FlexText {
  return { type: 'text', text: value, wrap: true, ...style };
}

function box(layout: messagingApi.FlexBox.LayoutEnum, contents: FlexComponent[], style: Omit<messagingApi.FlexBox, 'type' | 'layout' | 'contents'> = {}): messagingApi.FlexBox {
  return { type: 'box', layout, contents, ...style };
}

/** "label ........ value" on one line. */
function row(label: string, value: string, valueStyle: Omit<messagingApi.FlexText, 'type' | 'text'> = {}): messagingApi.FlexBox {
  return box('horizontal', [text(label, { size: 'sm', color: MUTED, flex: 0 }), text(value, { size: 'sm', align: 'end', ...valueStyle })]);
}

/** A button that asks the chat for something, showing the request in the talk as if typed. */
function commandButton(label: string, command: ChatCommand, displayText: string, style: messagingApi.FlexButton.StyleEnum = 'link'): messagingApi.FlexButton {
  return { type: 'button', style, height: 'sm', ...(style === 'primary' ? { color: BRAND } : {}), action: { type: 'postback', label, data: postbackData(command), displayText } };
}

function header(title: string, subtitle?: string): messagingApi.FlexBox {
  return box(
    'vertical',
    [text(title, { size: 'sm', color: '#FFFFFF' }), ...(subtitle ? [text(subtitle, { size: 'lg', weight: 'bold', color: '#FFFFFF' })] : [])],
    { backgroundColor: BRAND, paddingAll: 'lg' },
  );
}

const honorific = (displayName: string) => `${truncate(displayName, NAME_MAX)} 様`;

/**
 * Every reply goes through here: the altText is cut to fit, and a bubble over LINE's size limit (a programming
 * error: all our texts are bounded) fails loudly in tests instead of being refused by LINE in production.
 */
function flexMessage(altText: string, bubble: messagingApi.FlexBubble): messagingApi.FlexMessage {
  const bytes = Buffer.byteLength(JSON.stringify(bubble));
  if (bytes > BUBBLE_MAX_BYTES) throw new Error(`Flex bubble of ${bytes} bytes is over LINE's ${BUBBLE_MAX_BYTES}`);
  return { type: 'flex', altText: truncate(altText, ALT_TEXT_MAX), contents: bubble };
}

/** How far the member is towards the next tier, as a bar; full at the top tier. */
function tierProgressBar(account: Pick<AccountSummary, 'qualifyingSpend' | 'nextTier' | 'spendToNextTier'>): messagingApi.FlexBox {
  const target = account.qualifyingSpend + account.spendToNextTier;
  const percent = account.nextTier === null || target <= 0 ? 100 : Math.min(100, Math.floor((account.qualifyingSpend * 100) / target));
  const filled = percent > 0 ? [box('vertical', [], { width: `${percent}%`, height: '6px', backgroundColor: BRAND, cornerRadius: '3px' })] : [];
  return box('vertical', filled, { height: '6px', backgroundColor: TRACK, cornerRadius: '3px', margin: 'sm' });
}

/** "ポイント" / "残高" / "points": balance, pending points, tier progress and the soonest expiry. */
export function pointsMessage(member: { displayName: string }, account: AccountSummary): messagingApi.FlexMessage {
  const soonest = account.expiring[0];
  const nextTierText = account.nextTier === null ? '最上位ランクです' : `${tierName(account.nextTier)}まで あと${formatYen(account.spendToNextTier)}のお買い物`;
  const expiryText = soonest ? `${formatPoints(soonest.points)}（${formatJstDate(soonest.expiresAt)}まで）` : '失効予定のポイントはありません';
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header('ポイント残高', honorific(member.displayName)),
    body: box(
      'vertical',
      [
        box(
          'baseline',
          [
            text(formatNumber(account.balance), { size: 'xxl', weight: 'bold', flex: 0, ...(account.balance < 0 ? { color: NEGATIVE } : {}) }),
            text('pt', { size: 'md', color: MUTED, flex: 0, margin: 'sm' }),
          ],
        ),
        row('付与予定', formatPoints(account.pendingBalance)),
        { type: 'separator', margin: 'lg' },
        row('会員ランク', tierName(account.tier), { weight: 'bold' }),
        tierProgressBar(account),
        text(nextTierText, { size: 'xs', color: MUTED }),
        { type: 'separator', margin: 'lg' },
        text('もうすぐ失効するポイント', { size: 'sm', color: MUTED, margin: 'lg' }),
        text(expiryText, { size: 'sm' }),
      ],
      { spacing: 'sm' },
    ),
    footer: box('horizontal', [commandButton('会員証', 'card', '会員証'), commandButton('履歴', 'history', '履歴')], { spacing: 'sm' }),
  };
  const altExpiry = soonest ? `、${formatPoints(soonest.points)}が${formatJstDate(soonest.expiresAt)}に失効予定` : '';
  return flexMessage(
    `ポイント残高 ${formatPoints(account.balance)}（付与予定 ${formatPoints(account.pendingBalance)}）、${tierName(account.tier)}ランク${altExpiry}`,
    bubble,
  );
}

/**
 * "会員証" / "card": the barcode as an image (Flex has no barcode component) at a short-lived URL. The member code
 * stays out of the altText, which lock screens show to anyone nearby.
 */
export function memberCardMessage(
  member: { displayName: string; memberCode: string },
  barcode: { url: string; expiresAt: Date },
): messagingApi.FlexMessage {
  if (barcode.url.length > IMAGE_URL_MAX) throw new Error(`image URL longer than LINE's ${IMAGE_URL_MAX} characters`);
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header('会員証', honorific(member.displayName)),
    // the PNG is about 2:1; "fit" letterboxes any other shape on white instead of cropping bars off
    hero: { type: 'image', url: barcode.url, size: 'full', aspectRatio: '2:1', aspectMode: 'fit', backgroundColor: '#FFFFFF' },
    body: box(
      'vertical',
      [
        text('会員番号', { size: 'xs', color: MUTED }),
        text(formatMemberCode(member.memberCode), { size: 'lg', weight: 'bold' }),
        text(`レジでこの画面をご提示ください。バーコードは${formatJstTime(barcode.expiresAt)}まで表示できます。`, { size: 'xs', color: MUTED, margin: 'md' }),
        text('Show this at the register.', { size: 'xxs', color: MUTED }),
      ],
      { spacing: 'xs' },
    ),
    footer: box('vertical', [commandButton('バーコードを再表示', 'card', '会員証')]),
  };
  return flexMessage('会員証です。トークを開いてバーコードをご提示ください。', bubble);
}

/** "履歴" / "history": the newest point movements (the points service sends at most five). */
export function historyMessage(account: Pick<AccountSummary, 'history'>): messagingApi.FlexMessage {
  const rows: FlexComponent[] = account.history.map((entry) =>
    box('horizontal', [
      text(formatJstShortDate(entry.createdAt), { size: 'sm', color: MUTED, flex: 4 }),
      text(entryTypeName(entry.type), { size: 'sm', flex: 4 }),
      text(formatPointsChange(entry.amount), { size: 'sm', flex: 4, align: 'end', color: entry.amount < 0 ? NEGATIVE : POSITIVE }),
    ]),
  );
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header('ポイント履歴', `最新${account.history.length}件`),
    body: box('vertical', rows.length ? rows : [text('まだポイントの履歴はありません', { size: 'sm', color: MUTED })], { spacing: 'md' }),
    footer: box('vertical', [commandButton('ポイント残高', 'points', 'ポイント')]),
  };
  const summary = account.history
    .map((entry) => `${formatJstShortDate(entry.createdAt)} ${entryTypeName(entry.type)} ${formatPointsChange(entry.amount)}`)
    .join('、');
  return flexMessage(summary ? `ポイント履歴: ${summary}` : 'ポイント履歴はまだありません', bubble);
}

/** Anything else from someone not linked yet: what linking gives, and the button that starts it. */
export function guestHelpMessage(): messagingApi.FlexMessage {
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    body: box(
      'vertical',
      [
        text('会員連携をすると、ポイント残高や会員証をこのトークで確認できます。', { size: 'md' }),
        text('Link your membership to see your points and card here.', { size: 'xs', color: MUTED }),
      ],
      { spacing: 'md' },
    ),
    footer: box('vertical', [
      { type: 'button', style: 'primary', color: BRAND, height: 'sm', action: { type: 'postback', label: '会員連携する', data: LINK_ACCOUNT_POSTBACK, displayText: '会員連携' } },
    ]),
  };
  return flexMessage('会員連携をすると、ポイント残高や会員証をLINEで確認できます。', bubble);
}

/** Anything else from a member: the three things the chat does. */
export function memberHelpMessage(): messagingApi.FlexMessage {
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    body: box(
      'vertical',
      [
        text('ご用件をお選びください。「ポイント」「会員証」「履歴」と送っても表示できます。', { size: 'md' }),
        text('Send "points", "card" or "history".', { size: 'xs', color: MUTED }),
      ],
      { spacing: 'md' },
    ),
    footer: box(
      'vertical',
      [commandButton('ポイント残高', 'points', 'ポイント', 'primary'), commandButton('会員証', 'card', '会員証'), commandButton('ポイント履歴', 'history', '履歴')],
      { spacing: 'sm' },
    ),
  };
  return flexMessage('ご用件をお選びください: ポイント / 会員証 / 履歴', bubble);
}
