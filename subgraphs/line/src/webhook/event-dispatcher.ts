import type { messagingApi, webhook } from '@line/bot-sdk';
import type { Logger } from '@omo/lib/logger';
import type { OutboxHandler } from '@omo/lib/outbox';
import type { LineLinkModel } from '../models/line-link.model';
import type { LineUserModel } from '../models/line-user.model';
import type { LineClient } from '../services/line-client';

/** Who wrote and how to answer them: the reply token, falling back to push with a retry key. */
export interface EventContext {
  userId: string;
  reply(messages: messagingApi.Message[]): Promise<void>;
}

export interface EventHandlers {
  onText(ctx: EventContext, text: string): Promise<void>;
  onPostback(ctx: EventContext, data: string): Promise<void>;
  onLinkRequest(ctx: EventContext): Promise<void>;
  tryLinkCode(ctx: EventContext, text: string): Promise<boolean>;
  onAccountLink(ctx: EventContext | null, link: { result: 'ok' | 'failed'; nonce: string }, userId: string): Promise<void>;
}

const LINK_REQUEST = /^(会員連携|連携|link|link account)$/;

/** What one LINE event does. Unknown event types (LINE keeps adding them) and standby-mode events are ignored. */
export function lineEventHandler(deps: {
  client: LineClient;
  users: LineUserModel;
  links: LineLinkModel;
  handlers: () => EventHandlers;
  clock: () => Date;
  logger: Logger;
}): OutboxHandler {
  const setFriendStatus = async (userId: string, friendStatus: 'FRIEND' | 'BLOCKED', at: number) => {
    // a late redelivery of an older follow/unfollow must not undo a newer one
    await deps.users
      .updateOne({ _id: userId, statusAt: { $lt: at } }, { $set: { friendStatus, statusAt: at, updatedAt: deps.clock() } }, { upsert: true })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code !== 11000) throw error;
      });
    await deps.links.updateOne({ _id: userId }, { $set: { friendStatus } });
  };

  return async (payload) => {
    const event = payload.event as webhook.Event;
    if (event.mode === 'standby') return { ignored: 'standby' };
    const userId = event.source && 'userId' in event.source ? (event.source.userId ?? null) : null;
    if (!userId) return { ignored: 'no user' };
    const replyToken = 'replyToken' in event ? (event.replyToken) : undefined;
    const ctx: EventContext = { userId, reply: (messages) => deps.client.answer({ replyToken, webhookEventId: event.webhookEventId }, userId, messages) };
    const handlers = deps.handlers();
    switch (event.type) {
      case 'follow':
        await setFriendStatus(userId, 'FRIEND', event.timestamp);
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
        if (event.postback.data === 'action=link_account') await handlers.onLinkRequest(ctx);
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
