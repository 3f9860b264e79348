import type { messagingApi } from '@line/bot-sdk';
import type { MemberRewards, RedeemedCoupon, RewardBenefit } from '@omo/lib/contracts/points';
import { postbackData, redeemPostbackData, type ChatCommand } from './chat-commands';
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
/** A carousel: at most 12 bubbles and 50 KB of JSON. */
export const CAROUSEL_MAX_BUBBLES = 12;
export const CAROUSEL_MAX_BYTES = 50 * 1024;
/** Rewards shown at once: the carousel's last bubble is the coupons'. */
export const REWARDS_SHOWN = CAROUSEL_MAX_BUBBLES - 1;
/** Coupons listed in their bubble: a phone screen's worth. */
export const COUPONS_SHOWN = 5;
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
function flexMessage(altText: string, contents: messagingApi.FlexBubble | messagingApi.FlexCarousel): messagingApi.FlexMessage {
  const bubbles = contents.type === 'carousel' ? contents.contents : [contents];
  for (const bubble of bubbles) {
    const bytes = Buffer.byteLength(JSON.stringify(bubble));
    if (bytes > BUBBLE_MAX_BYTES) throw new Error(`Flex bubble of ${bytes} bytes is over LINE's ${BUBBLE_MAX_BYTES}`);
  }
  if (bubbles.length > CAROUSEL_MAX_BUBBLES) throw new Error(`carousel of ${bubbles.length} bubbles is over LINE's ${CAROUSEL_MAX_BUBBLES}`);
  const bytes = Buffer.byteLength(JSON.stringify(contents));
  if (contents.type === 'carousel' && bytes > CAROUSEL_MAX_BYTES) throw new Error(`carousel of ${bytes} bytes is over LINE's ${CAROUSEL_MAX_BYTES}`);
  return { type: 'flex', altText: truncate(altText, ALT_TEXT_MAX), contents };
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

/** "500円引き", "10%引き（上限1,000円）", "商品1点無料（COFFEE-S）": what a reward's coupon gives. */
export function benefitText(benefit: RewardBenefit): string {
  if (benefit.kind === 'YEN_OFF') return `${formatYen(benefit.yenOff ?? 0)}引き`;
  if (benefit.kind === 'PERCENT_OFF') return `${benefit.percentOff ?? 0}%引き${benefit.capYen === null ? '' : `（上限${formatYen(benefit.capYen)}）`}`;
  return `商品1点無料（${benefit.sku ?? ''}）`;
}

/** Reward names are at most 100 characters; a bubble's header keeps to two lines. */
const REWARD_NAME_MAX = 40;

function rewardBubble(reward: MemberRewards['rewards'][number]): messagingApi.FlexBubble {
  const name = truncate(reward.nameJa, REWARD_NAME_MAX);
  return {
    type: 'bubble',
    size: 'kilo',
    header: header('特典', name),
    body: box('vertical', [row('必要ポイント', formatPoints(reward.pointsCost), { weight: 'bold' }), row('内容', benefitText(reward.benefit))], { spacing: 'sm' }),
    footer: box('vertical', [
      { type: 'button', style: 'primary', color: BRAND, height: 'sm', action: { type: 'postback', label: '交換する', data: redeemPostbackData(reward.rewardId), displayText: `「${name}」と交換` } },
    ]),
  };
}

function couponsBubble(coupons: MemberRewards['coupons']): messagingApi.FlexBubble {
  const shown = coupons.slice(0, COUPONS_SHOWN).flatMap((coupon, i): FlexComponent[] => [
    ...(i > 0 ? [{ type: 'separator', margin: 'md' } as const] : []),
    text(truncate(coupon.nameJa, REWARD_NAME_MAX), { size: 'sm', weight: 'bold', margin: 'md' }),
    row('コード', coupon.code, { weight: 'bold' }),
    row('有効期限', `${formatJstDate(coupon.expiresAt)}まで`),
  ]);
  const more = coupons.length > COUPONS_SHOWN ? [text(`ほか${coupons.length - COUPONS_SHOWN}枚`, { size: 'xs', color: MUTED, margin: 'md' })] : [];
  return {
    type: 'bubble',
    size: 'kilo',
    header: header('お持ちのクーポン', `${coupons.length}枚`),
    body: box('vertical', shown.length ? [...shown, ...more] : [text('お持ちのクーポンはありません', { size: 'sm', color: MUTED })], { spacing: 'sm' }),
  };
}

/**
 * "特典" / "クーポン" / "rewards": a carousel of the rewards the member may redeem now, each with its redeem button,
 * then their ISSUED coupons. A coupon's code is on screen only: the altText (lock screens) names no code.
 */
export function rewardsMessage(account: { balance: number }, offer: MemberRewards): messagingApi.FlexMessage {
  const rewards = offer.rewards.slice(0, REWARDS_SHOWN).map(rewardBubble);
  const none: messagingApi.FlexBubble = {
    type: 'bubble',
    size: 'kilo',
    header: header('特典', `残高 ${formatPoints(account.balance)}`),
    body: box('vertical', [text('いま交換できる特典はありません。', { size: 'sm' }), text('No rewards to redeem right now.', { size: 'xs', color: MUTED })]),
  };
  const carousel: messagingApi.FlexCarousel = { type: 'carousel', contents: [...(rewards.length ? rewards : [none]), couponsBubble(offer.coupons)] };
  return flexMessage(`交換できる特典 ${offer.rewards.length}件、お持ちのクーポン ${offer.coupons.length}枚（残高 ${formatPoints(account.balance)}）`, carousel);
}

/** A redemption done: the coupon's code to show at the register or type online, its expiry, and the points left. */
export function redeemedMessage(coupon: RedeemedCoupon): messagingApi.FlexMessage {
  const name = truncate(coupon.nameJa, REWARD_NAME_MAX);
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header('クーポンを発行しました', name),
    body: box(
      'vertical',
      [
        text('クーポンコード', { size: 'xs', color: MUTED }),
        text(coupon.code, { size: 'xl', weight: 'bold' }),
        row('有効期限', `${formatJstDate(coupon.expiresAt)}まで`),
        row('使ったポイント', formatPoints(coupon.pointsCost)),
        row('残りのポイント', formatPoints(coupon.balance), { weight: 'bold' }),
        text('お会計のときにこのコードをお伝えください。オンラインストアではチェックアウトで入力できます。', { size: 'xs', color: MUTED, margin: 'md' }),
        text('Show this code at the register, or enter it at the online checkout.', { size: 'xxs', color: MUTED }),
      ],
      { spacing: 'sm' },
    ),
    footer: box('vertical', [commandButton('お持ちのクーポン', 'rewards', 'クーポン')]),
  };
  return flexMessage(`クーポン「${name}」を発行しました（${formatJstDate(coupon.expiresAt)}まで）。残り ${formatPoints(coupon.balance)}`, bubble);
}

/** The points service's refusals of a redemption the chat answers; anything else is not the customer's to read. */
export type RedeemRefusal = 'INSUFFICIENT_POINTS' | 'OUT_OF_STOCK' | 'LIMIT_REACHED' | 'REWARD_UNAVAILABLE' | 'NOT_FOUND';

const REFUSAL_TEXT: Readonly<Record<RedeemRefusal, string>> = {
  INSUFFICIENT_POINTS: 'ポイントが足りないため、この特典と交換できませんでした。ポイントは使われていません。\nNot enough points for this reward. No points were used.',
  OUT_OF_STOCK: 'この特典は在庫がなくなりました。ポイントは使われていません。\nThis reward is out of stock. No points were used.',
  LIMIT_REACHED: 'この特典のクーポンは、お一人さまが一度に持てる枚数までお持ちです。ポイントは使われていません。\nYou already hold as many coupons of this reward as one member may.',
  REWARD_UNAVAILABLE: 'この特典は現在交換できません。ポイントは使われていません。「特典」と送ると、いま交換できる特典を表示します。\nThis reward cannot be redeemed now.',
  NOT_FOUND: 'この特典は現在交換できません。ポイントは使われていません。「特典」と送ると、いま交換できる特典を表示します。\nThis reward cannot be redeemed now.',
};

export const isRedeemRefusal = (code: unknown): code is RedeemRefusal => typeof code === 'string' && Object.hasOwn(REFUSAL_TEXT, code);

/** Why a redemption was refused, in the customer's words; a shortfall says how many points it needs. */
export function redeemRefusedMessage(code: RedeemRefusal, shortfall?: { available: number; requested: number }): messagingApi.TextMessage {
  const need = code === 'INSUFFICIENT_POINTS' && shortfall ? `（必要 ${formatPoints(shortfall.requested)}・残高 ${formatPoints(shortfall.available)}）` : '';
  const [ja, en] = REFUSAL_TEXT[code].split('\n');
  return { type: 'text', text: `${ja}${need}\n${en}` };
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
