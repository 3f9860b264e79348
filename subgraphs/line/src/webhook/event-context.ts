import type { messagingApi } from '@line/bot-sdk';
import type { Locale } from '../i18n/locale';

/**
 * What the dispatcher gives whoever handles a LINE event (the chat, linking): who wrote, in which language to
 * answer them, and how (the reply token, falling back to push with a retry key derived from the event).
 */
export interface EventContext {
  userId: string;
  /** LINE's webhookEventId: the same on a redelivery, so what an event writes is keyed by it. */
  eventId: string;
  /** The user's LINE language (their profile's, src/webhook/user-language.ts); Japanese while it is not known. */
  locale: Locale;
  reply(messages: messagingApi.Message[]): Promise<void>;
}
