import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { parse } from 'graphql';
import { Outbox } from '@omo/lib/outbox/outbox';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/server/subgraph-server';
import { createChat } from './chat/chat';
import { createLineContext, type LineContext } from './context';
import { lineRoutes } from './internal/line.routes';
import { personaliser } from './member-view/member-account.client';
import { DeliveryService } from './delivery/delivery.service';
import { parseQuietHours } from './delivery/quiet-hours';
import { createLinking } from './linking/linking';
import { lineLinkModel } from './linking/line-link.model';
import { createMemberPage } from './member-page/member-page';
import { lineUserModel } from './webhook/line-user.model';
import { createNotifications, type Notifications } from './notifications/notifications';
import { resolvers } from './resolvers';
import { createSegments } from './segments/segments';
import { LineClient } from './line-api/line.client';
import { lineEventHandler, type EventHandlers } from './webhook/event-dispatcher';
import { LINE_EVENT, lineWebhookRoutes } from './webhook/webhook.routes';

/** Outbox items that set a LINE user's rich menu to what their link calls for. */
const RICH_MENU = 'rich-menu';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

const OUTBOX_INTERVAL_MS = 1_000;
const DELIVERY_INTERVAL_MS = 1_000;
/** Tier-ups reach members within minutes; the expiring-points run is once a day whatever the interval. */
const NOTIFICATION_INTERVAL_MS = 5 * 60_000;

export interface LineSubgraph extends BuiltSubgraph<LineContext> {
  outbox: Outbox;
  client: LineClient;
  deliveries: DeliveryService;
  notifications: Notifications;
}

export function buildLineSubgraph(options: SubgraphBuildOptions): LineSubgraph {
  const { config, connection, logger, clock } = options;
  const links = lineLinkModel(connection);
  const users = lineUserModel(connection);
  const client = new LineClient(config, logger);
  const common = { services: options.services, internalSecret: options.internalSecret, config, clock, logger };
  const chat = createChat({ links, ...common });
  // the rich menu follows the link: an outbox item per LINE user that sets the menu the link calls for when it
  // runs (so the last change wins), tried at once and retried by the worker until LINE accepts
  const followMenu = async (lineUserId: string) => {
    await outbox.runNow(`${RICH_MENU}:${lineUserId}`, RICH_MENU, { lineUserId }, { ignoreBackoff: true });
  };
  const linking = createLinking({ links, client, followMenu, connection, ...common });
  const memberPage = createMemberPage({ links, linking: linking.service, client, followMenu, connection, ...common });
  const segments = createSegments({ connection, links, users, ...common });
  const deliveries = new DeliveryService({
    connection,
    lineClient: client,
    audience: segments.audience,
    personalise: personaliser(common),
    clock,
    logger,
    quietHours: parseQuietHours(config.LINE_QUIET_HOURS),
  });
  const notifications = createNotifications({ connection, evaluator: segments.evaluator, deliveries, ...common });
  const handlers: EventHandlers = {
    onText: (ctx, text) => chat.onText(ctx, text),
    onPostback: (ctx, data) => chat.onPostback(ctx, data),
    onLinkRequest: (ctx) => linking.onLinkRequest(ctx),
    tryLinkCode: (ctx, text) => linking.tryLinkCode(ctx, text),
    onAccountLink: (ctx, link, userId) => linking.onAccountLink(ctx, link, userId),
    onSharedChatRequest: (reply, locale) => chat.onSharedChatRequest(reply, locale),
  };
  const outbox = new Outbox(
    connection,
    'line',
    {
      [LINE_EVENT]: lineEventHandler({ client, users, links, handlers: () => handlers, clock, logger }),
      [RICH_MENU]: async (payload) => {
        const lineUserId = String(payload.lineUserId);
        if (await links.exists({ _id: lineUserId })) await client.showMemberMenu(lineUserId);
        else await client.showGuestMenu(lineUserId);
      },
    },
    logger,
    clock,
  );
  // events are processed right after LINE is answered while the worker runs; with workers off (tests), only on drain
  let background = false;
  const kick = (keys: string[]) => {
    if (!background) return;
    setImmediate(() => {
      for (const key of keys) outbox.process(key).catch((error: unknown) => logger.error({ err: error, key }, 'LINE event failed'));
    });
  };
  const apollo = buildSubgraphApollo<LineContext>({ name: 'line', typeDefs, resolvers, ...options });
  return {
    apollo,
    outbox,
    client,
    deliveries,
    notifications,
    gauges: deliveries.gauges(),
    createContext: (base) => createLineContext({ links, linking: linking.service, linkMerges: linking.merges, segments: segments.service, deliveries, notifications: notifications.rules }, base),
    routes: Router().use(
      lineWebhookRoutes({ channelSecret: config.LINE_CHANNEL_SECRET, outbox, logger, kick }),
      linking.routes,
      chat.routes,
      memberPage.routes,
      lineRoutes(linking.merges, { internalSecret: options.internalSecret, logger }),
    ),
    startBackground: () => {
      background = true;
      const worker = outbox.start(OUTBOX_INTERVAL_MS);
      const sender = deliveries.start(DELIVERY_INTERVAL_MS);
      const notifier = notifications.start(NOTIFICATION_INTERVAL_MS);
      return {
        stop: async () => {
          background = false;
          await Promise.all([worker.stop(), sender.stop(), notifier.stop()]);
        },
      };
    },
  };
}
