import type { webhook } from '@line/bot-sdk';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { Logger } from '@omo/lib/core/logger';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import { isChatPostback, matchCommand } from '../chat/chat-commands';
import { LINK_ACCOUNT_POSTBACK } from '../chat/chat-messages';
import { parseReceiptCode } from '@omo/lib/contracts/receipt-code';
import { parseLinkCode } from '../linking/link-secrets';
import type { LineLinkModel } from '../linking/line-link.model';
import type { LineUserModel } from './line-user.model';
import type { LineClient } from '../line-api/line.client';
import type { EventContext } from './event-context';
import type { Locale } from '../i18n/locale';
import { UserLanguages } from './user-language';

export interface EventHandlers {
  onText(ctx: EventContext, text: string): Promise<void>;
  onPostback(ctx: EventContext, data: string): Promise<void>;
  onLinkRequest(ctx: EventContext): Promise<void>;
  tryLinkCode(ctx: EventContext, text: string): Promise<boolean>;
  onAccountLink(ctx: EventContext | null, link: { result: 'ok' | 'failed'; nonce: string }, userId: string): Promise<void>;
  /** Someone asked a group or multi-person chat for something personal: point them to the one-to-one chat. */
  onSharedChatRequest(reply: EventContext['reply'], locale: Locale): Promise<void>;
}

const LINK_REQUEST = /^(会員連携|連携|link|link account)$/;

/** The group or multi-person chat ("room") an event happened in; null for a one-to-one chat. */
function sharedChatOf(source: webhook.Source | undefined): string | null {
  if (source?.type === 'group') return source.groupId;
  if (source?.type === 'room') return source.roomId;
  return null;
}

/**
 * Whether a text or postback in a shared chat asks for what only its sender may see: a chat command, a link
 * request, a link code or a receipt code (taken there, it would be shown to everyone, and its link page or answer
 * with it).
 */
function asksForAccount(event: webhook.Event): boolean {
  if (event.type === 'postback') return event.postback.data === LINK_ACCOUNT_POSTBACK || isChatPostback(event.postback.data);
  if (event.type !== 'message' || event.message.type !== 'text') return false;
  const text = event.message.text.normalize('NFKC').trim();
  return LINK_REQUEST.test(text.toLowerCase()) || matchCommand(text) !== null || parseLinkCode(text) !== null || parseReceiptCode(text) !== null;
}

/** Events answered in the user's language: the profile is read for these. */
const ANSWERED: ReadonlySet<string> = new Set(['follow', 'message', 'postback', 'accountLink']);

/** What one LINE event does. Unknown event types (LINE keeps adding them) and standby-mode events are ignored. */
export function lineEventHandler(deps: {
  client: LineClient;
  users: LineUserModel;
  links: LineLinkModel;
  handlers: () => EventHandlers;
  clock: () => Date;
  logger: Logger;
}): OutboxHandler {
  const languages = new UserLanguages({ users: deps.users, client: deps.client, clock: deps.clock, logger: deps.logger });
  const setFriendStatus = async (userId: string, friendStatus: 'FRIEND' | 'BLOCKED', at: number) => {
    // a late redelivery of an older follow/unfollow must not undo a newer one
    const filter = { _id: userId, statusAt: { $lt: at } };
    const update = { $set: { friendStatus, statusAt: at, updatedAt: deps.clock() } };
    await deps.users.updateOne(filter, update, { upsert: true }).catch(async (error: unknown) => {
      // the user is stored: with a newer state the filter misses it and the upsert's insert clashes with its _id (no
      // claim here); or the language lookup inserted it at the same moment, and the filter matches it now
      if (!isDuplicateKeyError(error)) throw error;
      await deps.users.updateOne(filter, update);
    });
    await deps.links.updateOne({ _id: userId }, { $set: { friendStatus } });
  };

  return async (payload) => {
    const event = payload.event as webhook.Event;
    if (event.mode === 'standby') return { ignored: 'standby' };
    const replyToken = 'replyToken' in event ? (event.replyToken) : undefined;
    const sharedChat = sharedChatOf(event.source);
    if (sharedChat) {
      // everything said in a group is seen by all its members: never a balance, card, history or link there, and
      // no answer at all to the group's own talk
      if (!asksForAccount(event)) return { ignored: `${event.type} in a ${event.source!.type}` };
      const sender = event.source && 'userId' in event.source ? (event.source.userId ?? null) : null;
      await deps
        .handlers()
        .onSharedChatRequest((messages) => deps.client.answer({ replyToken, webhookEventId: event.webhookEventId }, sharedChat, messages), await languages.storedLocale(sender));
      return { handled: `request in a ${event.source!.type}` };
    }
    const userId = event.source && 'userId' in event.source ? (event.source.userId ?? null) : null;
    if (!userId) return { ignored: 'no user' };
    // a follow is stored before its profile is read, so the user's document has its friend status from the start
    if (event.type === 'follow') await setFriendStatus(userId, 'FRIEND', event.timestamp);
    const locale = ANSWERED.has(event.type) ? await languages.localeFor(userId) : 'ja';
    const ctx: EventContext = {
      userId,
      eventId: event.webhookEventId,
      locale,
      reply: (messages) => deps.client.answer({ replyToken, webhookEventId: event.webhookEventId }, userId, messages),
    };
    const handlers = deps.handlers();
    switch (event.type) {
      case 'follow':
        await handlers.onText(ctx, '');
        return { handled: 'follow' };
      case 'unfollow':
        await setFriendStatus(userId, 'BLOCKED', event.timestamp);
        return { handled: 'unfollow' };
      case 'message': {
        if (event.message.type !== 'text') {
          await handlers.onText(ctx, '');
          return { handled: 'non-text message' };
        }
        const text = event.message.text.normalize('NFKC').trim();
        if (LINK_REQUEST.test(text.toLowerCase())) await handlers.onLinkRequest(ctx);
        else if (!(await handlers.tryLinkCode(ctx, text))) await handlers.onText(ctx, text);
        return { handled: 'text' };
      }
      case 'postback':
        if (event.postback.data === LINK_ACCOUNT_POSTBACK) await handlers.onLinkRequest(ctx);
        else await handlers.onPostback(ctx, event.postback.data);
        return { handled: 'postback' };
      case 'accountLink':
        await handlers.onAccountLink(replyToken ? ctx : null, { result: event.link.result === 'ok' ? 'ok' : 'failed', nonce: event.link.nonce }, userId);
        return { handled: 'accountLink' };
      default:
        return { ignored: event.type };
    }
  };
}
