import type { messagingApi } from '@line/bot-sdk';
import { z } from 'zod';
import { LOCALES, type Locale } from '../i18n/locale';
import { tierName } from '../i18n/tiers.messages';
import { formatJstDate, formatNumber } from '../member-view/format';

/**
 * The messages a delivery may carry: text or Flex, checked against the Messaging API's limits so a mistake is
 * refused when the job is created instead of failing every batch. LINE counts text in UTF-16 code units, as
 * String.length does.
 */
export const MAX_MESSAGES = 5;
export const TEXT_MAX_LENGTH = 5000;
export const ALT_TEXT_MAX_LENGTH = 1500;
const CAROUSEL_MAX_BUBBLES = 12;
/** LINE's size limits on the JSON of one bubble and of a whole carousel. */
const BUBBLE_MAX_BYTES = 30 * 1024;
const CAROUSEL_MAX_BYTES = 50 * 1024;

/** What a text message may name; each is filled per recipient (see Personal). */
export const PLACEHOLDERS = ['displayName', 'points', 'tier', 'expiringPoints', 'expiresAt'] as const;
const PLACEHOLDER = new RegExp(`\\{(${PLACEHOLDERS.join('|')})\\}`);
const PLACEHOLDER_ALL = new RegExp(PLACEHOLDER.source, 'g');

const notBlank = (s: string) => s.trim().length > 0;

const bubble = z.looseObject({ type: z.literal('bubble') });
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const flexContainer = z
  .discriminatedUnion('type', [bubble, z.looseObject({ type: z.literal('carousel'), contents: z.array(bubble).min(1, 'must have at least one bubble').max(CAROUSEL_MAX_BUBBLES, `must have at most ${CAROUSEL_MAX_BUBBLES} bubbles`) })], {
    error: 'must be "bubble" or "carousel"',
  })
  .refine((c) => jsonBytes(c) <= (c.type === 'bubble' ? BUBBLE_MAX_BYTES : CAROUSEL_MAX_BYTES), {
    message: `is larger than LINE allows (${BUBBLE_MAX_BYTES / 1024} KB for a bubble, ${CAROUSEL_MAX_BYTES / 1024} KB for a carousel)`,
  });

const textMessage = z.strictObject({
  type: z.literal('text'),
  text: z
    .string()
    .refine(notBlank, 'must not be empty')
    .refine((s) => s.length <= TEXT_MAX_LENGTH, `must be at most ${TEXT_MAX_LENGTH} characters`),
  /** The language the text is written in, which its placeholders are filled in (tier names, dates); Japanese when absent. */
  locale: z.enum(LOCALES).optional(),
});

const flexMessage = z.strictObject({
  type: z.literal('flex'),
  altText: z
    .string()
    .refine(notBlank, 'must not be empty')
    .refine((s) => s.length <= ALT_TEXT_MAX_LENGTH, `must be at most ${ALT_TEXT_MAX_LENGTH} characters`),
  contents: flexContainer,
});

export const deliveryMessagesSchema = z
  .array(z.discriminatedUnion('type', [textMessage, flexMessage], { error: 'must be a text or flex message' }))
  .min(1, 'must have at least one message')
  .max(MAX_MESSAGES, `must have at most ${MAX_MESSAGES} messages`);

export type DeliveryMessage = z.infer<typeof deliveryMessagesSchema>[number];

/** Whether the messages use a placeholder, so each recipient gets their own copy (by push). */
export function isPersonalised(messages: DeliveryMessage[]): boolean {
  return messages.some((m) => m.type === 'text' && PLACEHOLDER.test(m.text));
}

/** One recipient's values for the placeholders, read when their batch is sent. */
export interface Personal {
  displayName: string;
  /** The usable balance. */
  points: number;
  /** The tier code (REGULAR, SILVER, ...), shown by its name in the message's language. */
  tier: string;
  /** The soonest expiry: how many points and when (null when nothing expires). */
  expiring: { points: number; expiresAt: Date } | null;
}

/** {displayName} {points} {tier} {expiringPoints} {expiresAt} as a reader of the message's language expects them. */
function placeholderValues(personal: Personal, locale: Locale): Record<(typeof PLACEHOLDERS)[number], string> {
  return {
    displayName: personal.displayName,
    points: formatNumber(personal.points),
    tier: tierName(personal.tier, locale),
    expiringPoints: formatNumber(personal.expiring?.points ?? 0),
    expiresAt: personal.expiring ? formatJstDate(personal.expiring.expiresAt, locale) : '-',
  };
}

/** The messages as sent: text placeholders filled in for one recipient (clipped to LINE's limit). */
export function messagesFor(messages: DeliveryMessage[], personal: Personal | null): messagingApi.Message[] {
  return messages.map((m): messagingApi.Message => {
    if (m.type === 'flex') return { type: 'flex', altText: m.altText, contents: m.contents as unknown as messagingApi.FlexContainer };
    const values = personal ? placeholderValues(personal, m.locale ?? 'ja') : null;
    if (!values) return { type: 'text', text: m.text };
    // one pass, so a display name that looks like a placeholder stays as it is
    const text = m.text.replace(PLACEHOLDER_ALL, (_match, name: keyof typeof values) => values[name]);
    return { type: 'text', text: text.slice(0, TEXT_MAX_LENGTH) };
  });
}
