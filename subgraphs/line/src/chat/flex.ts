import type { messagingApi } from '@line/bot-sdk';
import { say, type Locale, type Text } from '../i18n/locale';
import { CHAT } from '../i18n/chat.messages';
import { truncate } from '../member-view/format';
import { postbackData, type ChatCommand } from './chat-commands';

/**
 * LINE's limits (Messaging API reference, Flex Message): altText at most 1500 characters; we keep to 400 so the
 * whole text fits notifications and the talk list. A bubble's JSON at most 30 KB. An image URL at most 2000
 * characters, HTTPS, PNG/JPEG, at most 1024 x 1024 px.
 */
export const ALT_TEXT_MAX = 400;
export const BUBBLE_MAX_BYTES = 30 * 1024;
export const IMAGE_URL_MAX = 2000;
/** A carousel: at most 12 bubbles and 50 KB of JSON. */
export const CAROUSEL_MAX_BUBBLES = 12;
export const CAROUSEL_MAX_BYTES = 50 * 1024;

export const BRAND = '#0B7A53';
export const MUTED = '#8A8A8A';
export const TRACK = '#E6E6E6';
export const NEGATIVE = '#D93025';
export const POSITIVE = '#1E8E3E';

export type FlexComponent = messagingApi.FlexComponent;

/**
 * What every reply is built for: the customer's language, and the LIFF member page when there is one
 * (https://liff.line.me/<LIFF_ID>; null: no reply points to a member page).
 */
export interface ReplyView {
  locale: Locale;
  memberPageUrl: string | null;
}

export function text(value: string, style: Omit<messagingApi.FlexText, 'type' | 'text'> = {}): messagingApi.FlexText {
  return { type: 'text', text: value, wrap: true, ...style };
}

export function box(layout: messagingApi.FlexBox.LayoutEnum, contents: FlexComponent[], style: Omit<messagingApi.FlexBox, 'type' | 'layout' | 'contents'> = {}): messagingApi.FlexBox {
  return { type: 'box', layout, contents, ...style };
}

/** "label ........ value" on one line. */
export function row(label: string, value: string, valueStyle: Omit<messagingApi.FlexText, 'type' | 'text'> = {}): messagingApi.FlexBox {
  return box('horizontal', [text(label, { size: 'sm', color: MUTED, flex: 0 }), text(value, { size: 'sm', align: 'end', ...valueStyle })]);
}

/** A button that asks the chat for something, showing the request in the talk as if typed (in the customer's words). */
export function commandButton(
  locale: Locale,
  label: Text,
  command: ChatCommand,
  typed: Text,
  style: messagingApi.FlexButton.StyleEnum = 'link',
): messagingApi.FlexButton {
  return {
    type: 'button',
    style,
    height: 'sm',
    ...(style === 'primary' ? { color: BRAND } : {}),
    action: { type: 'postback', label: say(label, locale), data: postbackData(command), displayText: say(typed, locale) },
  };
}

/** The button that opens the LIFF member page; none when there is no page. */
export function memberPageButtons(view: ReplyView): messagingApi.FlexButton[] {
  if (!view.memberPageUrl) return [];
  return [{ type: 'button', style: 'link', height: 'sm', action: { type: 'uri', label: say(CHAT.buttonMemberPage, view.locale), uri: view.memberPageUrl } }];
}

export function header(title: string, subtitle?: string): messagingApi.FlexBox {
  return box(
    'vertical',
    [text(title, { size: 'sm', color: '#FFFFFF' }), ...(subtitle ? [text(subtitle, { size: 'lg', weight: 'bold', color: '#FFFFFF' })] : [])],
    { backgroundColor: BRAND, paddingAll: 'lg' },
  );
}

/**
 * Every reply goes through here: the altText is cut to fit, and a bubble over LINE's size limit (a programming
 * error: all our texts are bounded) fails loudly in tests instead of being refused by LINE in production.
 */
export function flexMessage(altText: string, contents: messagingApi.FlexBubble | messagingApi.FlexCarousel): messagingApi.FlexMessage {
  const bubbles = contents.type === 'carousel' ? contents.contents : [contents];
  for (const bubble of bubbles) {
    const bytes = Buffer.byteLength(JSON.stringify(bubble));
    if (bytes > BUBBLE_MAX_BYTES) throw new Error(`Flex bubble of ${bytes} bytes is over LINE's ${BUBBLE_MAX_BYTES}`);
  }
  if (bubbles.length > CAROUSEL_MAX_BUBBLES) throw new Error(`carousel of ${bubbles.length} bubbles is over LINE's ${CAROUSEL_MAX_BUBBLES}`);
  if (contents.type === 'carousel') {
    // a bubble alone was measured above; only a carousel has a whole of its own to measure
    const bytes = Buffer.byteLength(JSON.stringify(contents));
    if (bytes > CAROUSEL_MAX_BYTES) throw new Error(`carousel of ${bytes} bytes is over LINE's ${CAROUSEL_MAX_BYTES}`);
  }
  return { type: 'flex', altText: truncate(altText, ALT_TEXT_MAX), contents };
}
