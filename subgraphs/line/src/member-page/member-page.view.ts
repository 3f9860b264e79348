import type { MemberProfile, MemberCard } from '@omo/lib/contracts/members';
import type { AccountSummary, MemberRewards } from '@omo/lib/contracts/points';
import { say, type Locale, type Text } from '../i18n/locale';
import { BONUS_REASON_TEXT, CHANNEL_TEXT, TOP_TIER_TEXT, tierProgressText } from '../i18n/member-page.messages';
import { TIER_NAMES, tierName } from '../i18n/tiers.messages';
import { entryTypeName, formatJstShortDate, formatMemberCode, formatNumber, formatPoints, formatPointsChange, tierProgressPercent } from '../member-view/format';
import { cardBarcodes, couponBarcode } from './member-card.barcodes';

/** Recent entries the page lists. */
const HISTORY_ROWS = 10;
/** Expiry dates the page lists, soonest first. */
const EXPIRING_ROWS = 3;

/**
 * What the page shows, in the reader's locale and ready to print: the page's script only places these strings
 * (and the two barcode pictures), so every word and number format is decided here and in the message catalogue.
 * A part whose owner could not answer is null and the page says so; the card itself needs only members.
 */
export type MemberPageView =
  /** `unlinked`: the caller has just removed their link, which the page says. */
  | { state: 'guest'; locale: Locale; unlinked?: boolean }
  /** Linked to a membership that has ended (withdrawn): the join and link forms, with a line saying so. */
  | { state: 'inactive'; locale: Locale }
  | {
      state: 'member';
      locale: Locale;
      card: { memberCode: string; memberCodeText: string; displayName: string; ean13Svg: string | null; qrSvg: string };
      points: PointsView | null;
      /** `barcodeSvg`: the Code 128 of the coupon's code, what the registers scan as its barcodeValue. */
      coupons: { name: string; code: string; barcodeSvg: string; expiresText: string }[] | null;
      /** `marketingConsentConfirmed` false: the member never chose (LEGACY, counted as consenting). */
      profile: { birthday: string | null; marketingConsent: boolean; marketingConsentConfirmed: boolean } | null;
      /** The answer to a receipt code just sent (the points earned, or why not), shown above the claim form. */
      claim?: { claimed: boolean; message: string };
    };

export interface PointsView {
  balanceText: string;
  pendingText: string;
  tierName: string;
  /** 0-100: qualifying spend towards the next tier (100 at the top tier). */
  tierProgressPercent: number;
  tierProgressText: string;
  expiring: { pointsText: string; dateText: string }[];
  history: { label: string; detail: string; dateText: string; amountText: string }[];
}

export interface MemberParts {
  card: MemberCard;
  account: AccountSummary | null;
  rewards: MemberRewards | null;
  profile: MemberProfile | null;
}

export function memberView(locale: Locale, parts: MemberParts): MemberPageView {
  const { card, account, rewards, profile } = parts;
  return {
    state: 'member',
    locale,
    card: { memberCode: card.memberCode, memberCodeText: formatMemberCode(card.memberCode), displayName: card.displayName, ...cardBarcodes(card.memberCode) },
    points: account ? pointsView(locale, account) : null,
    coupons: rewards
      ? rewards.coupons.map((c) => ({ name: locale === 'ja' ? c.nameJa : c.nameEn, code: c.code, barcodeSvg: couponBarcode(c.code), expiresText: formatDate(locale, new Date(c.expiresAt)) }))
      : null,
    profile: profile
      ? { birthday: profile.birthday, marketingConsent: profile.marketingConsent.granted, marketingConsentConfirmed: profile.marketingConsent.source !== 'LEGACY' }
      : null,
  };
}

function pointsView(locale: Locale, account: AccountSummary): PointsView {
  const next = account.nextTier ? tierText(account.nextTier) : null;
  return {
    balanceText: formatPoints(account.balance),
    pendingText: formatPoints(account.pendingBalance),
    tierName: tierName(account.tier, locale),
    tierProgressPercent: tierProgressPercent(account),
    tierProgressText: say(next ? tierProgressText(next, formatNumber(account.spendToNextTier)) : TOP_TIER_TEXT, locale),
    expiring: account.expiring.slice(0, EXPIRING_ROWS).map((lot) => ({ pointsText: formatPoints(lot.points), dateText: formatDate(locale, new Date(lot.expiresAt)) })),
    history: account.history.slice(0, HISTORY_ROWS).map((entry) => ({
      label: entryLabel(entry.type, entry.reason ?? null, locale),
      detail: entry.channel ? say(CHANNEL_TEXT[entry.channel], locale) : '',
      dateText: formatDate(locale, new Date(entry.createdAt)),
      amountText: formatPointsChange(entry.amount),
    })),
  };
}

/** A tier points adds later than the catalogue names is shown by its code rather than failing. */
function tierText(tier: string): Text {
  return (TIER_NAMES as Record<string, Text>)[tier] ?? { ja: tier, en: tier };
}

/** What an entry was: a bonus by what it was for, when the catalogue knows the reason; else by its type. */
function entryLabel(type: string, reason: string | null, locale: Locale): string {
  const bonus = type === 'BONUS' && reason ? (BONUS_REASON_TEXT as Record<string, Text>)[reason] : undefined;
  return bonus ? say(bonus, locale) : entryTypeName(type, locale);
}

const EN_DATE = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', day: 'numeric', month: 'short', year: 'numeric' });

/** A day as a clock in Japan shows it: "2027/5/10" or "10 May 2027". */
function formatDate(locale: Locale, at: Date): string {
  return locale === 'en' ? EN_DATE.format(at) : formatJstShortDate(at);
}
