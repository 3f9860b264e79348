import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CHAT } from './chat.messages';
import { ENTRY_TYPE_NAMES, FORMAT } from './format.messages';
import { LINK_CHAT, LINK_PAGE } from './link.messages';
import { BONUS_REASON_TEXT, CHANNEL_TEXT, MEMBER_PAGE_TEXT, TOP_TIER_TEXT, tierProgressText } from './member-page.messages';
import type { Text } from './locale';
import { NOTIFICATION_DEFAULTS } from './notifications.messages';
import { RECEIPT_CLAIM, RECEIPT_CLAIM_REFUSALS } from './receipt-claim.messages';
import { REFUSALS, REWARDS, rewardName } from './rewards.messages';
import { TIER_NAMES } from './tiers.messages';

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]/;
const AT = new Date('2027-05-10T03:00:00.000Z');
const yenOff = { kind: 'YEN_OFF', yenOff: 500, percentOff: null, capYen: null, sku: null } as const;

/** Arguments to call each function of the catalogue with (ASCII where they reach the English text). */
const SAMPLES: Record<string, unknown[]> = {
  'CHAT.honorific': ['Emily'],
  'CHAT.toNextTier': ['GOLD', 90_000],
  'CHAT.expiry': [{ points: 50, expiresAt: AT }],
  'CHAT.pointsAlt': [{ balance: 100, pendingBalance: 0, tier: 'SILVER' }, { points: 50, expiresAt: AT }],
  'CHAT.showAtRegister': [AT],
  'CHAT.latest': [3],
  'CHAT.historyAlt': [[{ createdAt: AT, type: 'EARN', amount: 600 }]],
  'FORMAT.longDate': [{ year: 2027, month: 5, day: 10, weekday: 1 }],
  'FORMAT.yen': ['1,000'],
  'MEMBER_PAGE.tierProgressText': [{ ja: 'シルバー', en: 'Silver' }, '38,000'],
  'LINK_CHAT.invitationAlt': ['https://line.example.com/line/link?linkToken=x&lang=en'],
  'REWARDS.benefit': [yenOff],
  'REWARDS.typedRedeem': [{ ja: '500円引き', en: 'Y500 off' }],
  'REWARDS.balanceOf': [100],
  'REWARDS.couponCount': [2],
  'REWARDS.moreCoupons': [2],
  'REWARDS.until': [AT],
  'REWARDS.rewardsAlt': [1, 2, 100],
  'REWARDS.issuedAlt': [{ ja: '500円引き', en: 'Y500 off' }, AT, 100],
  'REWARDS.shortfall': [500, 100],
  'RECEIPT_CLAIM.earned': [{ amountPaid: 5_000, occurredAt: AT }, 50],
  'RECEIPT_CLAIM.pending': [{ amountPaid: 5_000, occurredAt: AT }],
};

const AREAS: Record<string, Record<string, Text | ((...args: never[]) => Text)>> = {
  CHAT,
  FORMAT,
  ENTRY_TYPE_NAMES,
  LINK_CHAT,
  LINK_PAGE,
  MEMBER_PAGE_TEXT,
  MEMBER_PAGE: { tierProgressText, TOP_TIER_TEXT },
  CHANNEL_TEXT,
  BONUS_REASON_TEXT,
  NOTIFICATION_DEFAULTS,
  REFUSALS,
  REWARDS,
  RECEIPT_CLAIM,
  RECEIPT_CLAIM_REFUSALS,
  TIER_NAMES,
};

const entries = Object.entries(AREAS).flatMap(([area, texts]) =>
  Object.entries(texts).map(([key, value]): [string, Text] => {
    const name = `${area}.${key}`;
    if (typeof value !== 'function') return [name, value];
    const args = SAMPLES[name];
    if (!args) throw new Error(`${name} has no sample arguments in catalogue.test.ts`);
    return [name, (value as (...a: unknown[]) => Text)(...args)];
  }),
);

describe('the message catalogue', () => {
  it.each(entries)('%s is written in Japanese and in English', (_name, text) => {
    expect(Object.keys(text).sort()).toEqual(['en', 'ja']);
    expect(text.ja.trim()).not.toBe('');
    expect(text.en.trim()).not.toBe('');
    expect(text.en).not.toMatch(JAPANESE);
  });

  it('has every function sampled, and no sample for a text that is gone', () => {
    const functions = Object.entries(AREAS).flatMap(([area, texts]) => Object.entries(texts).filter(([, v]) => typeof v === 'function').map(([key]) => `${area}.${key}`));
    expect(Object.keys(SAMPLES).sort()).toEqual(functions.sort());
  });

  it('keeps button labels within LINE’s 20 characters and a buttons template’s text within 160', () => {
    const labels = [CHAT.buttonPoints, CHAT.buttonCard, CHAT.buttonShowCardAgain, CHAT.buttonHistory, CHAT.buttonHistoryShort, CHAT.buttonRewards, CHAT.buttonLink, CHAT.buttonMemberPage, REWARDS.buttonRedeem, REWARDS.buttonCoupons, LINK_CHAT.buttonLink, LINK_CHAT.buttonMemberPage];
    for (const label of labels) for (const value of [label.ja, label.en]) expect(value.length).toBeLessThanOrEqual(20);
    for (const text of [LINK_CHAT.invitation, LINK_CHAT.invitationWithPage, LINK_CHAT.userElsewhereWithPage, LINK_CHAT.memberElsewhereWithPage]) {
      for (const value of [text.ja, text.en]) expect(value.length).toBeLessThanOrEqual(160);
    }
  });

  it('names rewards in English where staff gave an English name', () => {
    expect(rewardName({ nameJa: 'コーヒー無料', nameEn: 'Free coffee' })).toEqual({ ja: 'コーヒー無料', en: 'Free coffee' });
    expect(rewardName({ nameJa: 'コーヒー無料', nameEn: '' })).toEqual({ ja: 'コーヒー無料', en: 'コーヒー無料' });
  });
});

/** What customers type, which the chat reads (not writes): the commands' spellings and the link request. */
const INPUT_WORDS = new Set(['chat/chat-commands.ts', 'webhook/event-dispatcher.ts']);

function sourcesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'i18n' || name === '__generated__' ? [] : sourcesOf(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the line service’s code', () => {
  it('writes no Japanese text outside the catalogue (comments aside)', () => {
    const root = path.resolve(__dirname, '..');
    const offenders = sourcesOf(root)
      .filter((file) => !INPUT_WORDS.has(path.relative(root, file).split(path.sep).join('/')))
      .flatMap((file) => {
        const code = readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
        return code.split('\n').filter((line) => JAPANESE.test(line)).map((line) => `${path.relative(root, file)}: ${line.trim()}`);
      });
    expect(offenders).toEqual([]);
  });
});
