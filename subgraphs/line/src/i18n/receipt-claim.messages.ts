import { formatJstDate, formatPoints, formatYen } from '../member-view/format';
import type { Text } from './locale';

/** Why a receipt code earned nothing, as the purchases service refuses it (lib/contracts/purchases.ts, claimReceipt). */
export type ReceiptClaimRefusal =
  | 'TYPO'
  | 'NOT_FOUND'
  | 'CLAIM_EXPIRED'
  | 'PURCHASE_REFUNDED'
  | 'ALREADY_YOURS'
  | 'ALREADY_CLAIMED'
  | 'RATE_LIMITED'
  | 'DAILY_LIMIT'
  | 'MEMBER_WITHDRAWN';

/** A claimed purchase as the chat and the member page describe it. */
interface Claimed {
  amountPaid: number;
  occurredAt: Date;
}

/** The chat's and the member page's answers to a receipt code (docs/receipt-claims.md). */
export const RECEIPT_CLAIM = {
  earned: (claimed: Claimed, points: number): Text => ({
    ja: `${formatJstDate(claimed.occurredAt, 'ja')}のお買い物（${formatYen(claimed.amountPaid, 'ja')}）のポイント ${formatPoints(points)} を付与しました。`,
    en: `${formatPoints(points)} for your purchase of ${formatYen(claimed.amountPaid, 'en')} on ${formatJstDate(claimed.occurredAt, 'en')} have been added.`,
  }),
  pending: (claimed: Claimed): Text => ({
    ja: `${formatJstDate(claimed.occurredAt, 'ja')}のお買い物（${formatYen(claimed.amountPaid, 'ja')}）を受け付けました。ポイントはまもなく付与されます。`,
    en: `Your purchase of ${formatYen(claimed.amountPaid, 'en')} on ${formatJstDate(claimed.occurredAt, 'en')} is now yours. Its points will arrive shortly.`,
  }),
  needsLink: {
    ja: 'レシートのポイントを受け取るには、先に会員連携をしてください。連携後にもう一度レシートのコードを送ってください。',
    en: 'To get a receipt’s points, link your membership first, then send the receipt’s code again.',
  },
  needsLinkAlt: { ja: 'レシートのポイントを受け取るには会員連携が必要です。', en: 'Link your membership to get a receipt’s points.' },
} satisfies Record<string, Text | ((...args: never[]) => Text)>;

export const RECEIPT_CLAIM_REFUSALS = {
  TYPO: { ja: 'レシートのコードに誤りがあるようです。12文字を確かめてもう一度送ってください。', en: 'This receipt code has a typo. Check its 12 characters and send it again.' },
  NOT_FOUND: { ja: 'このコードのレシートは見つかりませんでした。レシートのコードをご確認ください。', en: 'No receipt has this code. Check the code on your receipt.' },
  CLAIM_EXPIRED: { ja: 'このレシートのポイントを受け取れる期間は過ぎています。', en: 'The days to get this receipt’s points are over.' },
  PURCHASE_REFUNDED: { ja: 'このお買い物は返品されたため、ポイントは付与できません。', en: 'This purchase was refunded, so it earns no points.' },
  ALREADY_YOURS: { ja: 'このレシートのポイントは、すでにお客さまに付与されています。', en: 'This receipt’s points are already yours.' },
  ALREADY_CLAIMED: { ja: 'このレシートのポイントは、すでに受け取られています。', en: 'This receipt’s points have already been claimed.' },
  RATE_LIMITED: { ja: '見つからないコードが続いたため、しばらくお受けできません。1時間ほどしてからお試しください。', en: 'Too many codes did not match. Please try again in about an hour.' },
  DAILY_LIMIT: { ja: '本日受け取れるレシートの数に達しました。日本時間の午前0時以降にもう一度お送りください。', en: 'You have claimed as many receipts as you can today. Please send the code again after midnight Japan time.' },
  MEMBER_WITHDRAWN: { ja: 'この会員は退会済みのため、レシートのポイントは受け取れません。', en: 'This membership has been withdrawn, so it cannot get a receipt’s points.' },
} satisfies Record<ReceiptClaimRefusal, Text>;
