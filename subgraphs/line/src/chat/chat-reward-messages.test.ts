import type { messagingApi } from '@line/bot-sdk';
import type { MemberRewards } from '@omo/lib/contracts/points';
import { isChatPostback, matchCommand, postbackCommand, redeemPostbackData, redeemPostbackReward } from './chat-commands';
import {
  CAROUSEL_MAX_BUBBLES,
  benefitText,
  redeemedMessage,
  redeemRefusedMessage,
  rewardsMessage,
} from './chat-messages';
import { bubbleActions, bubblesOf, bubbleTexts, expectWithinLineLimits } from './flex-expectations';

const textsOf = bubbleTexts;
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

describe('benefitText', () => {
  it('says what each kind of reward gives', () => {
    expect(benefitText(yenOff)).toBe('500円引き');
    expect(benefitText({ kind: 'PERCENT_OFF', yenOff: null, percentOff: 10, capYen: 1000, sku: null })).toBe('10%引き（上限1,000円）');
    expect(benefitText({ kind: 'PERCENT_OFF', yenOff: null, percentOff: 5, capYen: null, sku: null })).toBe('5%引き');
    expect(benefitText({ kind: 'FREE_ITEM', yenOff: null, percentOff: null, capYen: null, sku: 'COFFEE-S' })).toBe('商品1点無料（COFFEE-S）');
  });
});

describe('rewardsMessage', () => {
  it('shows each reward with its cost and a redeem button, then the coupons with their codes', () => {
    const message = rewardsMessage({ balance: 1_000 }, offer);
    expectWithinLineLimits(message, '交換できる特典 1件、お持ちのクーポン 1枚（残高 1,000 pt）');
    const [reward, coupons] = bubblesOf(message);
    expect(textsOf(reward!)).toEqual(['特典', '500円引き', '必要ポイント', '500 pt', '内容', '500円引き']);
    expect(actionsOf(reward!)).toEqual([{ type: 'postback', label: '交換する', data: `action=redeem_reward&reward=${REWARD_ID}`, displayText: '「500円引き」と交換' }]);
    expect(textsOf(coupons!)).toEqual(['お持ちのクーポン', '1枚', 'コーヒー無料', 'コード', 'K7QX-2M9P', '有効期限', '2027年1月31日(日)まで']);
    // a lock screen shows the altText to anyone nearby
    expect(message.altText).not.toContain('K7QX');
  });

  it('says when there is nothing to redeem and no coupon held', () => {
    const message = rewardsMessage({ balance: 100 }, { rewards: [], coupons: [] });
    expectWithinLineLimits(message, '交換できる特典 0件、お持ちのクーポン 0枚（残高 100 pt）');
    expect(bubblesOf(message).map(textsOf)).toEqual([
      ['特典', '残高 100 pt', 'いま交換できる特典はありません。', 'No rewards to redeem right now.'],
      ['お持ちのクーポン', '0枚', 'お持ちのクーポンはありません'],
    ]);
  });

  it('keeps a long catalogue and many coupons within LINE’s limits', () => {
    const name = 'あ'.repeat(100);
    const many: MemberRewards = {
      rewards: Array.from({ length: 30 }, (_, i) => ({ ...offer.rewards[0]!, rewardId: REWARD_ID.slice(0, -2) + String(i).padStart(2, '0'), nameJa: name })),
      coupons: Array.from({ length: 20 }, () => ({ ...offer.coupons[0]!, nameJa: name })),
    };
    const message = rewardsMessage({ balance: 99_999_999 }, many);
    expectWithinLineLimits(message, '交換できる特典 30件、お持ちのクーポン 20枚（残高 99,999,999 pt）');
    expect(bubblesOf(message)).toHaveLength(CAROUSEL_MAX_BUBBLES);
    expect(textsOf(bubblesOf(message).at(-1)!)).toContain('ほか15枚');
  });
});

describe('redeemedMessage', () => {
  it('gives the coupon’s code, its expiry and the points left', () => {
    const message = redeemedMessage({ couponId: 'c1', code: 'K7QX-2M9P', nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, balance: 500, expiresAt: new Date('2027-01-31T14:59:59.999Z') });
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
      'Show this code at the register, or enter it at the online checkout.',
    ]);
    expect(postbackCommand((actionsOf(bubble!)[0] as messagingApi.PostbackAction).data ?? '')).toBe('rewards');
  });
});

describe('redeemRefusedMessage', () => {
  it('says why, in Japanese then English, and how many points a shortfall needs', () => {
    expect(redeemRefusedMessage('INSUFFICIENT_POINTS', { available: 100, requested: 500 }).text).toBe(
      'ポイントが足りないため、この特典と交換できませんでした。ポイントは使われていません。（必要 500 pt・残高 100 pt）\nNot enough points for this reward. No points were used.',
    );
    expect(redeemRefusedMessage('OUT_OF_STOCK').text).toBe('この特典は在庫がなくなりました。ポイントは使われていません。\nThis reward is out of stock. No points were used.');
    expect(redeemRefusedMessage('LIMIT_REACHED').text).toBe(
      'この特典のクーポンは、お一人さまが一度に持てる枚数までお持ちです。ポイントは使われていません。\nYou already hold as many coupons of this reward as one member may.',
    );
    expect(redeemRefusedMessage('REWARD_UNAVAILABLE').text).toBe(
      'この特典は現在交換できません。ポイントは使われていません。「特典」と送ると、いま交換できる特典を表示します。\nThis reward cannot be redeemed now.',
    );
  });
});
