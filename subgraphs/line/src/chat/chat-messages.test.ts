import type { messagingApi } from '@line/bot-sdk';
import { postbackCommand } from './chat-commands';
import { formatJstDate, formatJstShortDate, formatJstTime, formatMemberCode, formatPoints, formatPointsChange, formatYen, truncate } from '../member-view/format';
import {
  LINK_ACCOUNT_POSTBACK,
  guestHelpMessage,
  historyMessage,
  memberCardMessage,
  memberHelpMessage,
  pointsMessage,
} from './chat-messages';
import { bubbleActions, bubbleTexts, componentsOf, expectWithinLineLimits } from './flex-expectations';
import type { AccountSummary } from '../member-view/member-account.client';

function bubbleOf(message: messagingApi.FlexMessage): messagingApi.FlexBubble {
  if (message.contents.type !== 'bubble') throw new Error('expected a bubble');
  return message.contents;
}

const textsOf = (message: messagingApi.FlexMessage) => bubbleTexts(bubbleOf(message));
const actionsOf = (message: messagingApi.FlexMessage) => bubbleActions(bubbleOf(message));

const account: AccountSummary = {
  balance: 12_345,
  pendingBalance: 600,
  tier: 'SILVER',
  qualifyingSpend: 60_000,
  nextTier: 'GOLD',
  spendToNextTier: 90_000,
  expiring: [
    { points: 50, expiresAt: new Date('2027-05-10T14:59:59.999Z') },
    { points: 600, expiresAt: new Date('2027-05-11T14:59:59.999Z') },
  ],
  history: [
    { type: 'EARN', amount: 600, createdAt: new Date('2026-05-11T03:00:00.000Z') },
    { type: 'REDEEM', amount: -1_500, createdAt: new Date('2026-05-11T03:00:00.000Z') },
    // 23:30 UTC is already the next morning in Japan
    { type: 'BONUS', amount: 100, createdAt: new Date('2026-05-09T23:30:00.000Z') },
  ],
};

describe('formatting for Japanese readers', () => {
  it('writes dates and times as a clock in Japan shows them', () => {
    expect(formatJstDate(new Date('2027-05-10T14:59:59.999Z'))).toBe('2027年5月10日(月)');
    expect(formatJstDate(new Date('2027-05-10T15:00:00.000Z'))).toBe('2027年5月11日(火)');
    expect(formatJstShortDate(new Date('2026-12-31T15:00:00.000Z'))).toBe('2027/1/1');
    expect(formatJstTime(new Date('2026-05-10T00:05:00.000Z'))).toBe('9:05');
  });

  it('groups digits and shows the direction of a change', () => {
    expect(formatPoints(1_234_567)).toBe('1,234,567 pt');
    expect(formatPoints(-50)).toBe('-50 pt');
    expect(formatPointsChange(600)).toBe('+600 pt');
    expect(formatPointsChange(-1_500)).toBe('-1,500 pt');
    expect(formatYen(90_000)).toBe('90,000円');
    expect(formatMemberCode('2912345678903')).toBe('2912 3456 7890 3');
  });

  it('cuts long text without splitting an emoji', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀😀', 4)).toBe('ab…');
  });
});

describe('the points card', () => {
  const message = pointsMessage({ displayName: '山田花子' }, account);

  it('shows balance, pending points, tier, progress and the soonest expiry, in Japanese', () => {
    const texts = textsOf(message);
    expect(texts).toEqual(
      expect.arrayContaining(['山田花子 様', '12,345', 'pt', '600 pt', 'シルバー', 'ゴールドまで あと90,000円のお買い物', '50 pt（2027年5月10日(月)まで）']),
    );
    expectWithinLineLimits(message, 'ポイント残高 12,345 pt（付与予定 600 pt）、シルバーランク、50 ptが2027年5月10日(月)に失効予定');
  });

  it('says it all in the altText too, for notifications and the talk list', () => {
    expect(message.altText).toBe('ポイント残高 12,345 pt（付与予定 600 pt）、シルバーランク、50 ptが2027年5月10日(月)に失効予定');
  });

  it('draws progress to the next tier as a share of the way', () => {
    const bars = componentsOf(bubbleOf(message)).filter((c): c is messagingApi.FlexBox => c.type === 'box' && c.width !== undefined);
    expect(bars.map((b) => b.width)).toEqual(['40%']);
  });

  it('offers the card and the history as buttons', () => {
    expect(actionsOf(message).map((a) => (a.type === 'postback' ? postbackCommand(a.data ?? '') : null))).toEqual(['card', 'history']);
  });

  it('handles the top tier, no expiring points and a negative balance', () => {
    const top = pointsMessage(
      { displayName: '山田花子' },
      { ...account, balance: -50, tier: 'PLATINUM', nextTier: null, spendToNextTier: 0, expiring: [] },
    );
    expect(textsOf(top)).toEqual(expect.arrayContaining(['-50', 'プラチナ', '最上位ランクです', '失効予定のポイントはありません']));
    expectWithinLineLimits(top, 'ポイント残高 -50 pt（付与予定 600 pt）、プラチナランク');
  });

  it('stays within LINE limits for the longest name a member can have', () => {
    const long = pointsMessage({ displayName: '長'.repeat(50) }, account);
    expect(textsOf(long)).toContain(`${'長'.repeat(29)}… 様`);
    expectWithinLineLimits(long, 'ポイント残高 12,345 pt（付与予定 600 pt）、シルバーランク、50 ptが2027年5月10日(月)に失効予定');
  });
});

describe('the member card', () => {
  const url = 'https://line.example.com/line/cards/abc.png';
  const message = memberCardMessage({ displayName: '山田花子', memberCode: '2912345678903' }, { url, expiresAt: new Date('2026-05-10T03:15:00.000Z') });

  it('shows the barcode image, the member code and until when the barcode works', () => {
    const bubble = bubbleOf(message);
    expect(bubble.hero).toMatchObject({ type: 'image', url, aspectMode: 'fit' });
    expect(textsOf(message)).toEqual(
      expect.arrayContaining(['山田花子 様', '2912 3456 7890 3', 'レジでこの画面をご提示ください。バーコードは12:15まで表示できます。']),
    );
    expectWithinLineLimits(message, '会員証です。トークを開いてバーコードをご提示ください。');
  });

  it('keeps the member code out of the altText, which lock screens show', () => {
    expect(message.altText).not.toMatch(/\d{4}/);
  });

  it('refuses an image URL LINE would reject for its length', () => {
    expect(() => memberCardMessage({ displayName: 'a', memberCode: '1' }, { url: `https://x/${'a'.repeat(2000)}`, expiresAt: new Date() })).toThrow();
  });
});

describe('the history card', () => {
  it('lists each movement with its date in Japan, its kind and its signed amount', () => {
    const message = historyMessage(account);
    expect(textsOf(message)).toEqual([
      'ポイント履歴',
      '最新3件',
      '2026/5/11',
      '獲得',
      '+600 pt',
      '2026/5/11',
      '利用',
      '-1,500 pt',
      '2026/5/10',
      'ボーナス',
      '+100 pt',
    ]);
    expectWithinLineLimits(message, 'ポイント履歴: 2026/5/11 獲得 +600 pt、2026/5/11 利用 -1,500 pt、2026/5/10 ボーナス +100 pt');
  });

  it('says so when there is nothing yet', () => {
    const message = historyMessage({ history: [] });
    expect(textsOf(message)).toContain('まだポイントの履歴はありません');
    expectWithinLineLimits(message, 'ポイント履歴はまだありません');
  });
});

describe('help', () => {
  it('offers a guest the link action, with an English hint', () => {
    const message = guestHelpMessage();
    expect(actionsOf(message)).toEqual([{ type: 'postback', label: '会員連携する', data: LINK_ACCOUNT_POSTBACK, displayText: '会員連携' }]);
    expect(LINK_ACCOUNT_POSTBACK).toBe('action=link_account');
    expect(textsOf(message)).toEqual(['会員連携をすると、ポイント残高や会員証をこのトークで確認できます。', 'Link your membership to see your points and card here.']);
    expectWithinLineLimits(message, '会員連携をすると、ポイント残高や会員証をLINEで確認できます。');
  });

  it('offers a member the three things the chat does', () => {
    const message = memberHelpMessage();
    expect(actionsOf(message).map((a) => (a.type === 'postback' ? postbackCommand(a.data ?? '') : null))).toEqual(['points', 'card', 'history']);
    expectWithinLineLimits(message, 'ご用件をお選びください: ポイント / 会員証 / 履歴');
  });
});
