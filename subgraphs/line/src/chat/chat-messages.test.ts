import type { messagingApi } from '@line/bot-sdk';
import { matchCommand, postbackCommand } from './chat-commands';
import { formatJstDate, formatJstShortDate, formatJstTime, formatMemberCode, formatPoints, formatPointsChange, formatYen, truncate } from '../member-view/format';
import {
  LINK_ACCOUNT_POSTBACK,
  guestHelpMessage,
  historyMessage,
  memberCardMessage,
  memberHelpMessage,
  pointsMessage,
  sharedChatPointer,
} from './chat-messages';
import { bubbleActions, bubbleTexts, componentsOf, expectWithinLineLimits } from './flex-expectations';
import type { AccountSummary } from '../member-view/member-account.client';
import type { ReplyView } from './flex';

const JA: ReplyView = { locale: 'ja', memberPageUrl: null };
const EN: ReplyView = { locale: 'en', memberPageUrl: null };
const MEMBER_PAGE = 'https://liff.line.me/1234567890-AbcdEfgh';

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

describe('formatting for Japanese and English readers', () => {
  it('writes dates and times as a clock in Japan shows them', () => {
    expect(formatJstDate(new Date('2027-05-10T14:59:59.999Z'), 'ja')).toBe('2027年5月10日(月)');
    expect(formatJstDate(new Date('2027-05-10T15:00:00.000Z'), 'ja')).toBe('2027年5月11日(火)');
    expect(formatJstDate(new Date('2027-05-10T14:59:59.999Z'), 'en')).toBe('Mon, May 10, 2027');
    expect(formatJstDate(new Date('2027-12-31T15:00:00.000Z'), 'en')).toBe('Sat, Jan 1, 2028');
    expect(formatJstShortDate(new Date('2026-12-31T15:00:00.000Z'))).toBe('2027/1/1');
    expect(formatJstTime(new Date('2026-05-10T00:05:00.000Z'))).toBe('9:05');
  });

  it('groups digits and shows the direction of a change', () => {
    expect(formatPoints(1_234_567)).toBe('1,234,567 pt');
    expect(formatPoints(-50)).toBe('-50 pt');
    expect(formatPointsChange(600)).toBe('+600 pt');
    expect(formatPointsChange(-1_500)).toBe('-1,500 pt');
    expect(formatYen(90_000, 'ja')).toBe('90,000円');
    expect(formatYen(90_000, 'en')).toBe('¥90,000');
    expect(formatYen(-500, 'en')).toBe('-¥500');
    expect(formatMemberCode('2912345678903')).toBe('2912 3456 7890 3');
  });

  it('cuts long text without splitting an emoji', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('ab😀😀', 4)).toBe('ab…');
  });
});

describe('the points card', () => {
  const message = pointsMessage(JA, { displayName: '山田花子' }, account);

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
    const top = pointsMessage(JA, 
      { displayName: '山田花子' },
      { ...account, balance: -50, tier: 'PLATINUM', nextTier: null, spendToNextTier: 0, expiring: [] },
    );
    expect(textsOf(top)).toEqual(expect.arrayContaining(['-50', 'プラチナ', '最上位ランクです', '失効予定のポイントはありません']));
    expectWithinLineLimits(top, 'ポイント残高 -50 pt（付与予定 600 pt）、プラチナランク');
  });

  it('stays within LINE limits for the longest name a member can have', () => {
    const long = pointsMessage(JA, { displayName: '長'.repeat(50) }, account);
    expect(textsOf(long)).toContain(`${'長'.repeat(29)}… 様`);
    expectWithinLineLimits(long, 'ポイント残高 12,345 pt（付与予定 600 pt）、シルバーランク、50 ptが2027年5月10日(月)に失効予定');
  });
});

describe('the member card', () => {
  const url = 'https://line.example.com/line/cards/abc.png';
  const message = memberCardMessage(JA, { displayName: '山田花子', memberCode: '2912345678903' }, { url, expiresAt: new Date('2026-05-10T03:15:00.000Z') });

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
    expect(() => memberCardMessage(JA, { displayName: 'a', memberCode: '1' }, { url: `https://x/${'a'.repeat(2000)}`, expiresAt: new Date() })).toThrow();
  });
});

describe('the history card', () => {
  it('lists each movement with its date in Japan, its kind and its signed amount', () => {
    const message = historyMessage(JA, account);
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
    const message = historyMessage(JA, { history: [] });
    expect(textsOf(message)).toContain('まだポイントの履歴はありません');
    expectWithinLineLimits(message, 'ポイント履歴はまだありません');
  });
});

describe('help', () => {
  it('offers a guest the link action, in Japanese only', () => {
    const message = guestHelpMessage(JA);
    expect(actionsOf(message)).toEqual([{ type: 'postback', label: '会員連携する', data: LINK_ACCOUNT_POSTBACK, displayText: '会員連携' }]);
    expect(LINK_ACCOUNT_POSTBACK).toBe('action=link_account');
    expect(textsOf(message)).toEqual(['会員連携をすると、ポイント残高や会員証、特典をこのトークで確認できます。']);
    expectWithinLineLimits(message, '会員連携をすると、ポイント残高や会員証、特典をLINEで確認できます。');
  });

  it('offers a guest the member page to join there, when there is one', () => {
    const message = guestHelpMessage({ locale: 'en', memberPageUrl: MEMBER_PAGE });
    expect(textsOf(message)).toEqual(['Link your membership to see your points, member card and rewards here.', 'Not a member yet? Join on the member page.']);
    expect(actionsOf(message)).toEqual([
      { type: 'postback', label: 'Link membership', data: LINK_ACCOUNT_POSTBACK, displayText: 'link' },
      { type: 'uri', label: 'Member page', uri: MEMBER_PAGE },
    ]);
    expectWithinLineLimits(message, 'Link your membership to see your points, member card and rewards in LINE.');
  });

  it('offers a member the four things the chat does, rewards included', () => {
    const message = memberHelpMessage(JA);
    expect(textsOf(message)).toEqual(['ご用件をお選びください。「ポイント」「会員証」「履歴」「特典」と送っても表示できます。']);
    expect(actionsOf(message).map((a) => (a.type === 'postback' ? postbackCommand(a.data ?? '') : null))).toEqual(['points', 'card', 'history', 'rewards']);
    expectWithinLineLimits(message, 'ご用件をお選びください: ポイント / 会員証 / 履歴 / 特典');
  });

  it('answers in English with buttons whose typed words the chat understands', () => {
    const message = memberHelpMessage({ locale: 'en', memberPageUrl: MEMBER_PAGE });
    expect(textsOf(message)).toEqual(['What would you like to see? You can also send "points", "card", "history" or "rewards".']);
    expect(actionsOf(message)).toEqual([
      { type: 'postback', label: 'Points', data: 'action=show_points', displayText: 'points' },
      { type: 'postback', label: 'Member card', data: 'action=show_member_card', displayText: 'card' },
      { type: 'postback', label: 'History', data: 'action=show_history', displayText: 'history' },
      { type: 'postback', label: 'Rewards', data: 'action=show_rewards', displayText: 'rewards' },
      { type: 'uri', label: 'Member page', uri: MEMBER_PAGE },
    ]);
    for (const action of actionsOf(message)) if (action.type === 'postback') expect(matchCommand(action.displayText ?? '')).toBe(postbackCommand(action.data ?? ''));
    expectWithinLineLimits(message, 'What would you like to see: points / card / history / rewards');
  });
});

describe('in English', () => {
  it('shows the points card with English tier names, yen and dates', () => {
    const message = pointsMessage(EN, { displayName: 'Emily Carter' }, account);
    expect(textsOf(message)).toEqual([
      'Points balance',
      'Emily Carter',
      '12,345',
      'pt',
      'Pending',
      '600 pt',
      'Tier',
      'Silver',
      '¥90,000 more in purchases to Gold',
      'Points expiring soon',
      '50 pt (until Mon, May 10, 2027)',
    ]);
    expect(actionsOf(message).map((a) => a.label)).toEqual(['Member card', 'History']);
    expectWithinLineLimits(message, 'Points balance 12,345 pt (pending 600 pt), Silver tier, 50 pt expiring on Mon, May 10, 2027');
  });

  it('shows the member card and the history', () => {
    const card = memberCardMessage(EN, { displayName: 'Emily Carter', memberCode: '2912345678903' }, { url: 'https://line.example.com/line/cards/abc.png', expiresAt: new Date('2026-05-10T03:15:00.000Z') });
    expect(textsOf(card)).toEqual(['Member card', 'Emily Carter', 'Member number', '2912 3456 7890 3', 'Show this screen at the register. The barcode can be shown until 12:15 (Japan time).']);
    expectWithinLineLimits(card, 'Your member card. Open the chat to show the barcode.');
    const history = historyMessage(EN, account);
    expect(textsOf(history)).toEqual(['Points history', 'Latest 3', '2026/5/11', 'Earned', '+600 pt', '2026/5/11', 'Used', '-1,500 pt', '2026/5/10', 'Bonus', '+100 pt']);
    expectWithinLineLimits(history, 'Points history: 2026/5/11 Earned +600 pt, 2026/5/11 Used -1,500 pt, 2026/5/10 Bonus +100 pt');
  });

  it('points to the one-to-one chat from a group', () => {
    expect(sharedChatPointer(EN).text).toBe('Your points, card, history and rewards are shown only to you, in a one-to-one chat. Send "points" or the like to this account in a one-to-one chat.');
  });
});

describe('the member page', () => {
  it('is a button on the cards when there is one, and nowhere when there is none', () => {
    const view: ReplyView = { locale: 'ja', memberPageUrl: MEMBER_PAGE };
    for (const message of [pointsMessage(view, { displayName: 'a' }, account), historyMessage(view, account), memberHelpMessage(view)]) {
      expect(actionsOf(message)).toContainEqual({ type: 'uri', label: '会員ページ', uri: MEMBER_PAGE });
    }
    for (const message of [pointsMessage(JA, { displayName: 'a' }, account), historyMessage(JA, account), memberHelpMessage(JA), guestHelpMessage(JA)]) {
      expect(actionsOf(message).filter((a) => a.type === 'uri')).toEqual([]);
      expect(JSON.stringify(message)).not.toContain('会員ページ');
    }
  });
});
