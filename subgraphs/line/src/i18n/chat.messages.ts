import { formatJstDate, formatJstShortDate, formatJstTime, formatPoints, formatPointsChange, formatYen, entryTypeName } from '../member-view/format';
import type { Text } from './locale';
import { tierName } from './tiers.messages';

/** A soonest expiry, as the points service gives it. */
interface Expiry {
  points: number;
  expiresAt: Date;
}

/** A history row, as the points service gives it. */
interface Movement {
  createdAt: Date;
  type: string;
  amount: number;
}

const both = (f: (locale: 'ja' | 'en') => string): Text => ({ ja: f('ja'), en: f('en') });

/** The chat's answers to ポイント / 会員証 / 履歴 / help, and its buttons (labels at most 20 characters, LINE's limit). */
export const CHAT = {
  /** A personal request in a group or multi-person chat, where everyone would see a balance or a card. */
  sharedChatPointer: {
    ja: 'ポイント・会員証・履歴・特典は、ご本人だけに見えるよう1対1のトークでお送りしています。このアカウントとの1対1のトークで「ポイント」などと送ってください。',
    en: 'Your points, card, history and rewards are shown only to you, in a one-to-one chat. Send "points" or the like to this account in a one-to-one chat.',
  },
  honorific: (name: string): Text => ({ ja: `${name} 様`, en: name }),

  pointsTitle: { ja: 'ポイント残高', en: 'Points balance' },
  pending: { ja: '付与予定', en: 'Pending' },
  tier: { ja: '会員ランク', en: 'Tier' },
  topTier: { ja: '最上位ランクです', en: 'You are at the top tier' },
  toNextTier: (tier: string, spend: number): Text => ({
    ja: `${tierName(tier, 'ja')}まで あと${formatYen(spend, 'ja')}のお買い物`,
    en: `${formatYen(spend, 'en')} more in purchases to ${tierName(tier, 'en')}`,
  }),
  expiringSoon: { ja: 'もうすぐ失効するポイント', en: 'Points expiring soon' },
  expiry: ({ points, expiresAt }: Expiry): Text => ({
    ja: `${formatPoints(points)}（${formatJstDate(expiresAt, 'ja')}まで）`,
    en: `${formatPoints(points)} (until ${formatJstDate(expiresAt, 'en')})`,
  }),
  noExpiry: { ja: '失効予定のポイントはありません', en: 'No points are about to expire' },
  pointsAlt: (account: { balance: number; pendingBalance: number; tier: string }, soonest: Expiry | undefined): Text => ({
    ja:
      `ポイント残高 ${formatPoints(account.balance)}（付与予定 ${formatPoints(account.pendingBalance)}）、${tierName(account.tier, 'ja')}ランク` +
      (soonest ? `、${formatPoints(soonest.points)}が${formatJstDate(soonest.expiresAt, 'ja')}に失効予定` : ''),
    en:
      `Points balance ${formatPoints(account.balance)} (pending ${formatPoints(account.pendingBalance)}), ${tierName(account.tier, 'en')} tier` +
      (soonest ? `, ${formatPoints(soonest.points)} expiring on ${formatJstDate(soonest.expiresAt, 'en')}` : ''),
  }),

  cardTitle: { ja: '会員証', en: 'Member card' },
  memberNumber: { ja: '会員番号', en: 'Member number' },
  showAtRegister: (barcodeUntil: Date): Text => ({
    ja: `レジでこの画面をご提示ください。バーコードは${formatJstTime(barcodeUntil)}まで表示できます。`,
    en: `Show this screen at the register. The barcode can be shown until ${formatJstTime(barcodeUntil)} (Japan time).`,
  }),
  cardAlt: { ja: '会員証です。トークを開いてバーコードをご提示ください。', en: 'Your member card. Open the chat to show the barcode.' },

  historyTitle: { ja: 'ポイント履歴', en: 'Points history' },
  latest: (count: number): Text => ({ ja: `最新${count}件`, en: `Latest ${count}` }),
  noHistory: { ja: 'まだポイントの履歴はありません', en: 'No points history yet' },
  historyAlt: (entries: Movement[]): Text =>
    entries.length === 0
      ? { ja: 'ポイント履歴はまだありません', en: 'No points history yet' }
      : both((locale) => {
          const rows = entries.map((e) => `${formatJstShortDate(e.createdAt)} ${entryTypeName(e.type, locale)} ${formatPointsChange(e.amount)}`);
          return locale === 'ja' ? `ポイント履歴: ${rows.join('、')}` : `Points history: ${rows.join(', ')}`;
        }),

  guestHelp: { ja: '会員連携をすると、ポイント残高や会員証、特典をこのトークで確認できます。', en: 'Link your membership to see your points, member card and rewards here.' },
  guestHelpAlt: { ja: '会員連携をすると、ポイント残高や会員証、特典をLINEで確認できます。', en: 'Link your membership to see your points, member card and rewards in LINE.' },
  guestJoin: {
    ja: 'まだ会員でない方は、会員ページからご入会いただけます。',
    en: 'Not a member yet? Join on the member page.',
  },
  memberHelp: {
    ja: 'ご用件をお選びください。「ポイント」「会員証」「履歴」「特典」と送っても表示できます。',
    en: 'What would you like to see? You can also send "points", "card", "history" or "rewards".',
  },
  memberHelpAlt: { ja: 'ご用件をお選びください: ポイント / 会員証 / 履歴 / 特典', en: 'What would you like to see: points / card / history / rewards' },

  /** Buttons and what they show in the talk as if typed (the chat answers those words in either language). */
  buttonPoints: { ja: 'ポイント残高', en: 'Points' },
  buttonCard: { ja: '会員証', en: 'Member card' },
  buttonShowCardAgain: { ja: 'バーコードを再表示', en: 'Show barcode again' },
  buttonHistory: { ja: 'ポイント履歴', en: 'History' },
  /** Beside 会員証 on the points card, where two buttons share a row. */
  buttonHistoryShort: { ja: '履歴', en: 'History' },
  buttonRewards: { ja: '特典', en: 'Rewards' },
  buttonLink: { ja: '会員連携する', en: 'Link membership' },
  buttonMemberPage: { ja: '会員ページ', en: 'Member page' },
  typedPoints: { ja: 'ポイント', en: 'points' },
  typedCard: { ja: '会員証', en: 'card' },
  typedHistory: { ja: '履歴', en: 'history' },
  typedRewards: { ja: '特典', en: 'rewards' },
  typedCoupons: { ja: 'クーポン', en: 'coupons' },
  typedLink: { ja: '会員連携', en: 'link' },
} satisfies Record<string, Text | ((...args: never[]) => Text)>;
