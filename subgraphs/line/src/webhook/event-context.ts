import type { messagingApi } from '@line/bot-sdk';

/**
 * What the dispatcher gives whoever handles a LINE event (the chat, linking): who wrote, and how to answer them
 * (the reply token, falling back to push with a retry key derived from the event).
 */
export interface EventContext {
  userId: string;
  /** LINE's webhookEventId: the same on a redelivery, so what an event writes is keyed by it. */
  eventId: string;
  reply(messages: messagingApi.Message[]): Promise<void>;
}
