import type { RewardBenefit } from '@omo/lib/contracts/points';
import { formatJstDate, formatPoints, formatYen } from '../member-view/format';
import type { Text } from './locale';

/** The points service's refusals of a redemption the chat answers; anything else is not the customer's to read. */
export type RedeemRefusal = 'INSUFFICIENT_POINTS' | 'OUT_OF_STOCK' | 'LIMIT_REACHED' | 'REWARD_UNAVAILABLE' | 'NOT_FOUND';

const UNAVAILABLE: Text = {
  ja: 'この特典は現在交換できません。ポイントは使われていません。「特典」と送ると、いま交換できる特典を表示します。',
  en: 'This reward cannot be redeemed now. No points were used. Send "rewards" to see the rewards you can redeem.',
};

/** Why a redemption was refused, in the customer's words. */
export const REFUSALS = {
  INSUFFICIENT_POINTS: { ja: 'ポイントが足りないため、この特典と交換できませんでした。ポイントは使われていません。', en: 'Not enough points for this reward. No points were used.' },
  OUT_OF_STOCK: { ja: 'この特典は在庫がなくなりました。ポイントは使われていません。', en: 'This reward is out of stock. No points were used.' },
  LIMIT_REACHED: {
    ja: 'この特典のクーポンは、お一人さまが一度に持てる枚数までお持ちです。ポイントは使われていません。',
    en: 'You already hold as many coupons of this reward as one member may. No points were used.',
  },
  REWARD_UNAVAILABLE: UNAVAILABLE,
  NOT_FOUND: UNAVAILABLE,
} satisfies Record<RedeemRefusal, Text>;

/** A reward's or coupon's name: the English one where staff gave it. */
export const rewardName = (named: { nameJa: string; nameEn: string }): Text => ({ ja: named.nameJa, en: named.nameEn.trim() || named.nameJa });

/** The rewards carousel, a redemption and its refusals. */
export const REWARDS = {
  /** "500円引き", "10%引き（上限1,000円）", "商品1点無料（COFFEE-S）": what a reward's coupon gives. */
  benefit: (benefit: RewardBenefit): Text => {
    if (benefit.kind === 'YEN_OFF') return { ja: `${formatYen(benefit.yenOff ?? 0, 'ja')}引き`, en: `${formatYen(benefit.yenOff ?? 0, 'en')} off` };
    if (benefit.kind === 'PERCENT_OFF') {
      const percent = benefit.percentOff ?? 0;
      if (benefit.capYen === null) return { ja: `${percent}%引き`, en: `${percent}% off` };
      return { ja: `${percent}%引き（上限${formatYen(benefit.capYen, 'ja')}）`, en: `${percent}% off (up to ${formatYen(benefit.capYen, 'en')})` };
    }
    return { ja: `商品1点無料（${benefit.sku ?? ''}）`, en: `One item free (${benefit.sku ?? ''})` };
  },
  rewardTitle: { ja: '特典', en: 'Reward' },
  pointsCost: { ja: '必要ポイント', en: 'Points needed' },
  contents: { ja: '内容', en: 'You get' },
  buttonRedeem: { ja: '交換する', en: 'Redeem' },
  typedRedeem: (name: Text): Text => ({ ja: `「${name.ja}」と交換`, en: `Redeem "${name.en}"` }),
  balanceOf: (balance: number): Text => ({ ja: `残高 ${formatPoints(balance)}`, en: `Balance ${formatPoints(balance)}` }),
  noRewards: { ja: 'いま交換できる特典はありません。', en: 'No rewards to redeem right now.' },

  couponsTitle: { ja: 'お持ちのクーポン', en: 'Your coupons' },
  couponCount: (count: number): Text => ({ ja: `${count}枚`, en: count === 1 ? '1 coupon' : `${count} coupons` }),
  moreCoupons: (count: number): Text => ({ ja: `ほか${count}枚`, en: `and ${count} more` }),
  noCoupons: { ja: 'お持ちのクーポンはありません', en: 'You have no coupons' },
  code: { ja: 'コード', en: 'Code' },
  validUntil: { ja: '有効期限', en: 'Valid until' },
  until: (at: Date): Text => ({ ja: `${formatJstDate(at, 'ja')}まで`, en: formatJstDate(at, 'en') }),
  rewardsAlt: (rewards: number, coupons: number, balance: number): Text => ({
    ja: `交換できる特典 ${rewards}件、お持ちのクーポン ${coupons}枚（残高 ${formatPoints(balance)}）`,
    en: `${rewards} ${rewards === 1 ? 'reward' : 'rewards'} to redeem, ${coupons} ${coupons === 1 ? 'coupon' : 'coupons'} held (balance ${formatPoints(balance)})`,
  }),

  issuedTitle: { ja: 'クーポンを発行しました', en: 'Your coupon' },
  couponCode: { ja: 'クーポンコード', en: 'Coupon code' },
  pointsUsed: { ja: '使ったポイント', en: 'Points used' },
  pointsLeft: { ja: '残りのポイント', en: 'Points left' },
  howToUse: {
    ja: 'お会計のときにこのコードをお伝えください。オンラインストアではチェックアウトで入力できます。',
    en: 'Show this code at the register, or enter it at the online checkout.',
  },
  buttonCoupons: { ja: 'お持ちのクーポン', en: 'Your coupons' },
  issuedAlt: (name: Text, expiresAt: Date, balance: number): Text => ({
    ja: `クーポン「${name.ja}」を発行しました（${formatJstDate(expiresAt, 'ja')}まで）。残り ${formatPoints(balance)}`,
    en: `Coupon "${name.en}" issued (valid until ${formatJstDate(expiresAt, 'en')}). ${formatPoints(balance)} left`,
  }),
  shortfall: (requested: number, available: number): Text => ({
    ja: `（必要 ${formatPoints(requested)}・残高 ${formatPoints(available)}）`,
    en: ` (needs ${formatPoints(requested)}, balance ${formatPoints(available)})`,
  }),
} satisfies Record<string, Text | ((...args: never[]) => Text)>;
