import type { messagingApi } from '@line/bot-sdk';
import type { MemberRewards } from '@omo/lib/contracts/points';
import { isChatPostback, matchCommand, postbackCommand, redeemPostbackData, redeemPostbackReward } from './chat-commands';
import { say } from '../i18n/locale';
import { REWARDS } from '../i18n/rewards.messages';
import { redeemedMessage, redeemRefusedMessage, rewardsMessage } from './chat-reward-messages';
import { CAROUSEL_MAX_BUBBLES, type ReplyView } from './flex';
import { bubbleActions, bubblesOf, bubbleTexts, expectWithinLineLimits } from './flex-expectations';

const textsOf = bubbleTexts;
const JA: ReplyView = { locale: 'ja', memberPageUrl: null };
const EN: ReplyView = { locale: 'en', memberPageUrl: null };
const benefitText = (benefit: Parameters<typeof REWARDS.benefit>[0], locale: 'ja' | 'en' = 'ja') => say(REWARDS.benefit(benefit), locale);
const actionsOf = bubbleActions;

const REWARD_ID = '65f0a1b2c3d4e5f601234567';
const yenOff = { kind: 'YEN_OFF', yenOff: 500, percentOff: null, capYen: null, sku: null } as const;
const offer: MemberRewards = {
  rewards: [{ rewardId: REWARD_ID, nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: yenOff }],
  coupons: [{ couponId: '65f0a1b2c3d4e5f601234568', code: 'K7QX-2M9P', nameJa: 'コーヒー無料', nameEn: 'Free coffee', expiresAt: new Date('2027-01-31T14:59:59.999Z') }],
};

describe('the rewards commands', () => {
  it.each(['特典', 'クーポン', 'くーぽん', 'Rewards', 'ＣＯＵＰＯＮＳ', 'coupon'])('reads %p as the rewards command', (text) => {
    expect(matchCommand(text)).toBe('rewards');
  });

  it('carries the reward in the redeem postback, and refuses a malformed one', () => {
    expect(redeemPostbackData(REWARD_ID)).toBe(`action=redeem_reward&reward=${REWARD_ID}`);
    expect(redeemPostbackReward(redeemPostbackData(REWARD_ID.toUpperCase()))).toBe(REWARD_ID);
    expect(redeemPostbackReward('action=redeem_reward&reward=../../x')).toBeNull();
    expect(redeemPostbackReward('action=show_points')).toBeNull();
    expect(postbackCommand(redeemPostbackData(REWARD_ID))).toBeNull();
    // a redeem button pressed in a group must be kept from the group like the other account requests
    expect(isChatPostback('action=redeem_reward&reward=bad')).toBe(true);
  });
});

describe('a benefit', () => {
  it('says what each kind of reward gives, in either language', () => {
    expect(benefitText(yenOff, 'en')).toBe('¥500 off');
    expect(benefitText({ kind: 'PERCENT_OFF', yenOff: null, percentOff: 10, capYen: 1000, sku: null }, 'en')).toBe('10% off (up to ¥1,000)');
    expect(benefitText({ kind: 'FREE_ITEM', yenOff: null, percentOff: null, capYen: null, sku: 'COFFEE-S' }, 'en')).toBe('One item free (COFFEE-S)');
    expect(benefitText(yenOff)).toBe('500円引き');
    expect(benefitText({ kind: 'PERCENT_OFF', yenOff: null, percentOff: 10, capYen: 1000, sku: null })).toBe('10%引き（上限1,000円）');
    expect(benefitText({ kind: 'PERCENT_OFF', yenOff: null, percentOff: 5, capYen: null, sku: null })).toBe('5%引き');
    expect(benefitText({ kind: 'FREE_ITEM', yenOff: null, percentOff: null, capYen: null, sku: 'COFFEE-S' })).toBe('商品1点無料（COFFEE-S）');
  });
});

describe('rewardsMessage', () => {
  it('shows each reward with its cost and a redeem button, then the coupons with their codes', () => {
    const message = rewardsMessage(JA, { balance: 1_000 }, offer);
    expectWithinLineLimits(message, '交換できる特典 1件、お持ちのクーポン 1枚（残高 1,000 pt）');
    const [reward, coupons] = bubblesOf(message);
    expect(textsOf(reward!)).toEqual(['特典', '500円引き', '必要ポイント', '500 pt', '内容', '500円引き']);
    expect(actionsOf(reward!)).toEqual([{ type: 'postback', label: '交換する', data: `action=redeem_reward&reward=${REWARD_ID}`, displayText: '「500円引き」と交換' }]);
    expect(textsOf(coupons!)).toEqual(['お持ちのクーポン', '1枚', 'コーヒー無料', 'コード', 'K7QX-2M9P', '有効期限', '2027年1月31日(日)まで']);
    // a lock screen shows the altText to anyone nearby
    expect(message.altText).not.toContain('K7QX');
  });

  it('says when there is nothing to redeem and no coupon held', () => {
    const message = rewardsMessage(JA, { balance: 100 }, { rewards: [], coupons: [] });
    expectWithinLineLimits(message, '交換できる特典 0件、お持ちのクーポン 0枚（残高 100 pt）');
    expect(bubblesOf(message).map(textsOf)).toEqual([
      ['特典', '残高 100 pt', 'いま交換できる特典はありません。'],
      ['お持ちのクーポン', '0枚', 'お持ちのクーポンはありません'],
    ]);
  });

  it('keeps a long catalogue and many coupons within LINE’s limits', () => {
    const name = 'あ'.repeat(100);
    const many: MemberRewards = {
      rewards: Array.from({ length: 30 }, (_, i) => ({ ...offer.rewards[0]!, rewardId: REWARD_ID.slice(0, -2) + String(i).padStart(2, '0'), nameJa: name })),
      coupons: Array.from({ length: 20 }, () => ({ ...offer.coupons[0]!, nameJa: name })),
    };
    const message = rewardsMessage(JA, { balance: 99_999_999 }, many);
    expectWithinLineLimits(message, '交換できる特典 30件、お持ちのクーポン 20枚（残高 99,999,999 pt）');
    expect(bubblesOf(message)).toHaveLength(CAROUSEL_MAX_BUBBLES);
    expect(textsOf(bubblesOf(message).at(-1)!)).toContain('ほか15枚');
  });
});

describe('redeemedMessage', () => {
  it('gives the coupon’s code, its expiry and the points left', () => {
    const message = redeemedMessage(JA, { couponId: 'c1', code: 'K7QX-2M9P', nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, balance: 500, expiresAt: new Date('2027-01-31T14:59:59.999Z') });
    expectWithinLineLimits(message, 'クーポン「500円引き」を発行しました（2027年1月31日(日)まで）。残り 500 pt');
    const [bubble] = bubblesOf(message);
    expect(textsOf(bubble!)).toEqual([
      'クーポンを発行しました',
      '500円引き',
      'クーポンコード',
      'K7QX-2M9P',
      '有効期限',
      '2027年1月31日(日)まで',
      '使ったポイント',
      '500 pt',
      '残りのポイント',
      '500 pt',
      'お会計のときにこのコードをお伝えください。オンラインストアではチェックアウトで入力できます。',
    ]);
    expect(postbackCommand((actionsOf(bubble!)[0] as messagingApi.PostbackAction).data ?? '')).toBe('rewards');
  });
});

describe('redeemRefusedMessage', () => {
  it('says why, in the customer’s language only, and how many points a shortfall needs', () => {
    expect(redeemRefusedMessage(JA, 'INSUFFICIENT_POINTS', { available: 100, requested: 500 }).text).toBe(
      'ポイントが足りないため、この特典と交換できませんでした。ポイントは使われていません。（必要 500 pt・残高 100 pt）',
    );
    expect(redeemRefusedMessage(EN, 'INSUFFICIENT_POINTS', { available: 100, requested: 500 }).text).toBe(
      'Not enough points for this reward. No points were used. (needs 500 pt, balance 100 pt)',
    );
    expect(redeemRefusedMessage(JA, 'OUT_OF_STOCK').text).toBe('この特典は在庫がなくなりました。ポイントは使われていません。');
    expect(redeemRefusedMessage(EN, 'LIMIT_REACHED').text).toBe('You already hold as many coupons of this reward as one member may. No points were used.');
    expect(redeemRefusedMessage(JA, 'REWARD_UNAVAILABLE').text).toBe('この特典は現在交換できません。ポイントは使われていません。「特典」と送ると、いま交換できる特典を表示します。');
    expect(redeemRefusedMessage(EN, 'NOT_FOUND').text).toBe('This reward cannot be redeemed now. No points were used. Send "rewards" to see the rewards you can redeem.');
  });
});

describe('in English', () => {
  it('shows the rewards by their English names, and the coupons', () => {
    const message = rewardsMessage(EN, { balance: 1_000 }, offer);
    expectWithinLineLimits(message, '1 reward to redeem, 1 coupon held (balance 1,000 pt)');
    const [reward, coupons] = bubblesOf(message);
    expect(textsOf(reward!)).toEqual(['Reward', '¥500 off', 'Points needed', '500 pt', 'You get', '¥500 off']);
    expect(actionsOf(reward!)).toEqual([{ type: 'postback', label: 'Redeem', data: `action=redeem_reward&reward=${REWARD_ID}`, displayText: 'Redeem "¥500 off"' }]);
    expect(textsOf(coupons!)).toEqual(['Your coupons', '1 coupon', 'Free coffee', 'Code', 'K7QX-2M9P', 'Valid until', 'Sun, Jan 31, 2027']);
  });

  it('falls back to the Japanese name of a reward staff gave no English name', () => {
    const message = rewardsMessage(EN, { balance: 1_000 }, { rewards: [{ ...offer.rewards[0]!, nameEn: ' ' }], coupons: [] });
    expect(textsOf(bubblesOf(message)[0]!)[1]).toBe('500円引き');
  });

  it('gives the coupon issued', () => {
    const message = redeemedMessage(EN, { couponId: 'c1', code: 'K7QX-2M9P', nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, balance: 500, expiresAt: new Date('2027-01-31T14:59:59.999Z') });
    expectWithinLineLimits(message, 'Coupon "¥500 off" issued (valid until Sun, Jan 31, 2027). 500 pt left');
    expect(textsOf(bubblesOf(message)[0]!)).toEqual([
      'Your coupon',
      '¥500 off',
      'Coupon code',
      'K7QX-2M9P',
      'Valid until',
      'Sun, Jan 31, 2027',
      'Points used',
      '500 pt',
      'Points left',
      '500 pt',
      'Show this code at the register, or enter it at the online checkout.',
    ]);
  });
});
