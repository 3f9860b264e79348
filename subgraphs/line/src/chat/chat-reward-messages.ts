import type { messagingApi } from '@line/bot-sdk';
import type { MemberRewards, RedeemedCoupon } from '@omo/lib/contracts/points';
import { say, type Locale, type Text } from '../i18n/locale';
import { CHAT } from '../i18n/chat.messages';
import { REFUSALS, REWARDS, rewardName, type RedeemRefusal } from '../i18n/rewards.messages';
import { formatPoints, truncate } from '../member-view/format';
import { redeemPostbackData } from './chat-commands';
import { BRAND, CAROUSEL_MAX_BUBBLES, MUTED, box, commandButton, flexMessage, header, row, text, type FlexComponent, type ReplyView } from './flex';

export type { RedeemRefusal } from '../i18n/rewards.messages';

/** Rewards shown at once: the carousel's last bubble is the coupons'. */
export const REWARDS_SHOWN = CAROUSEL_MAX_BUBBLES - 1;
/** Coupons listed in their bubble: a phone screen's worth. */
export const COUPONS_SHOWN = 5;
/** Reward names are at most 100 characters; a bubble's header keeps to two lines. */
const REWARD_NAME_MAX = 40;

/** A reward's name in the locale, cut for a header; both languages cut, for texts that quote it. */
function shortName(named: { nameJa: string; nameEn: string }): Text {
  const name = rewardName(named);
  return { ja: truncate(name.ja, REWARD_NAME_MAX), en: truncate(name.en, REWARD_NAME_MAX) };
}

function rewardBubble(locale: Locale, reward: MemberRewards['rewards'][number]): messagingApi.FlexBubble {
  const name = shortName(reward);
  return {
    type: 'bubble',
    size: 'kilo',
    header: header(say(REWARDS.rewardTitle, locale), say(name, locale)),
    body: box(
      'vertical',
      [row(say(REWARDS.pointsCost, locale), formatPoints(reward.pointsCost), { weight: 'bold' }), row(say(REWARDS.contents, locale), say(REWARDS.benefit(reward.benefit), locale))],
      { spacing: 'sm' },
    ),
    footer: box('vertical', [
      {
        type: 'button',
        style: 'primary',
        color: BRAND,
        height: 'sm',
        action: { type: 'postback', label: say(REWARDS.buttonRedeem, locale), data: redeemPostbackData(reward.rewardId), displayText: say(REWARDS.typedRedeem(name), locale) },
      },
    ]),
  };
}

function couponsBubble(locale: Locale, coupons: MemberRewards['coupons']): messagingApi.FlexBubble {
  const shown = coupons.slice(0, COUPONS_SHOWN).flatMap((coupon, i): FlexComponent[] => [
    ...(i > 0 ? [{ type: 'separator', margin: 'md' } as const] : []),
    text(say(shortName(coupon), locale), { size: 'sm', weight: 'bold', margin: 'md' }),
    row(say(REWARDS.code, locale), coupon.code, { weight: 'bold' }),
    row(say(REWARDS.validUntil, locale), say(REWARDS.until(coupon.expiresAt), locale)),
  ]);
  const more = coupons.length > COUPONS_SHOWN ? [text(say(REWARDS.moreCoupons(coupons.length - COUPONS_SHOWN), locale), { size: 'xs', color: MUTED, margin: 'md' })] : [];
  return {
    type: 'bubble',
    size: 'kilo',
    header: header(say(REWARDS.couponsTitle, locale), say(REWARDS.couponCount(coupons.length), locale)),
    body: box('vertical', shown.length ? [...shown, ...more] : [text(say(REWARDS.noCoupons, locale), { size: 'sm', color: MUTED })], { spacing: 'sm' }),
  };
}

/**
 * "特典" / "クーポン" / "rewards": a carousel of the rewards the member may redeem now, each with its redeem button,
 * then their ISSUED coupons. A coupon's code is on screen only: the altText (lock screens) names no code.
 */
export function rewardsMessage(view: ReplyView, account: { balance: number }, offer: MemberRewards): messagingApi.FlexMessage {
  const { locale } = view;
  const rewards = offer.rewards.slice(0, REWARDS_SHOWN).map((reward) => rewardBubble(locale, reward));
  const none: messagingApi.FlexBubble = {
    type: 'bubble',
    size: 'kilo',
    header: header(say(REWARDS.rewardTitle, locale), say(REWARDS.balanceOf(account.balance), locale)),
    body: box('vertical', [text(say(REWARDS.noRewards, locale), { size: 'sm' })]),
  };
  const carousel: messagingApi.FlexCarousel = { type: 'carousel', contents: [...(rewards.length ? rewards : [none]), couponsBubble(locale, offer.coupons)] };
  return flexMessage(say(REWARDS.rewardsAlt(offer.rewards.length, offer.coupons.length, account.balance), locale), carousel);
}

/** A redemption done: the coupon's code to show at the register or type online, its expiry, and the points left. */
export function redeemedMessage(view: ReplyView, coupon: RedeemedCoupon): messagingApi.FlexMessage {
  const { locale } = view;
  const name = shortName(coupon);
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    header: header(say(REWARDS.issuedTitle, locale), say(name, locale)),
    body: box(
      'vertical',
      [
        text(say(REWARDS.couponCode, locale), { size: 'xs', color: MUTED }),
        text(coupon.code, { size: 'xl', weight: 'bold' }),
        row(say(REWARDS.validUntil, locale), say(REWARDS.until(coupon.expiresAt), locale)),
        row(say(REWARDS.pointsUsed, locale), formatPoints(coupon.pointsCost)),
        row(say(REWARDS.pointsLeft, locale), formatPoints(coupon.balance), { weight: 'bold' }),
        text(say(REWARDS.howToUse, locale), { size: 'xs', color: MUTED, margin: 'md' }),
      ],
      { spacing: 'sm' },
    ),
    footer: box('vertical', [commandButton(locale, REWARDS.buttonCoupons, 'rewards', CHAT.typedCoupons)]),
  };
  return flexMessage(say(REWARDS.issuedAlt(name, coupon.expiresAt, coupon.balance), locale), bubble);
}

export const isRedeemRefusal = (code: unknown): code is RedeemRefusal => typeof code === 'string' && Object.hasOwn(REFUSALS, code);

/** Why a redemption was refused, in the customer's words; a shortfall says how many points it needs. */
export function redeemRefusedMessage(view: ReplyView, code: RedeemRefusal, shortfall?: { available: number; requested: number }): messagingApi.TextMessage {
  const need = code === 'INSUFFICIENT_POINTS' && shortfall ? say(REWARDS.shortfall(shortfall.requested, shortfall.available), view.locale) : '';
  return { type: 'text', text: `${say(REFUSALS[code], view.locale)}${need}` };
}
