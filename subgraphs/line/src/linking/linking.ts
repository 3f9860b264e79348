import type { Router } from 'express';
import type { AppConfig } from '@omo/lib/core/config';
import type { Connection } from '@omo/lib/core/db';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import { lineLinkMergeModel } from './line-link-merge.model';
import { linkAttemptModel } from './link-attempt.model';
import { linkClaimModel } from './link-claim.model';
import { linkCodeModel } from './link-code.model';
import { linkNonceModel } from './link-nonce.model';
import { linkTokenModel } from './link-token.model';
import type { LineLinkModel } from './line-link.model';
import { lineUserModel } from '../webhook/line-user.model';
import type { LineClient } from '../line-api/line.client';
import type { EventContext } from '../webhook/event-context';
import { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { memberPageUrlOf } from '../line-api/liff-url';
import { accountLinkFailed, accountLinkReply, alreadyLinked, linkCodeReply, linkInvitation, type LinkReplyView } from './link-messages';
import { linkPageRoutes } from './link-page.routes';
import { LinkMergeService } from './link-merge.service';
import { parseLinkCode } from './link-secrets';
import { LinkService } from './link.service';

export { LinkMergeService, LinkService };

export interface LinkingDeps {
  links: LineLinkModel;
  client: LineClient;
  followMenu: (lineUserId: string) => Promise<void>;
  connection: Connection;
  services: ServiceDirectory;
  internalSecret: string;
  config: AppConfig;
  clock: () => Date;
  logger: Logger;
}

export interface Linking {
  /** For the GraphQL resolvers. */
  service: LinkService;
  /** The LINE step of member merges (the members service's POST /internal/merges), and what it kept for staff. */
  merges: LinkMergeService;
  /** The user asked to link ("会員連携", "link", the rich menu's action=link_account). */
  onLinkRequest(ctx: EventContext): Promise<void>;
  /** A chat text that looks like a link code is used as one; true when it was (refusals included). */
  tryLinkCode(ctx: EventContext, text: string): Promise<boolean>;
  /** LINE's accountLink event; a failed link has no reply token, hence no ctx. */
  onAccountLink(ctx: EventContext | null, link: { result: 'ok' | 'failed'; nonce: string }, userId: string): Promise<void>;
  /** GET/POST /line/link: the login page of LINE's account-link flow. */
  routes: Router;
}

/**
 * Linking a LINE account to a member, both ways: LINE's account-link flow (link token -> our login page -> nonce
 * -> LINE's dialog -> accountLink event) and a one-time code issued to a logged-in customer and sent in the chat.
 */
export function createLinking(deps: LinkingDeps): Linking {
  const { connection, clock } = deps;
  const limiter = new AttemptLimiter(linkAttemptModel(connection), clock);
  const nonces = linkNonceModel(connection);
  const codes = linkCodeModel(connection);
  const service = new LinkService({
    models: {
      links: deps.links,
      users: lineUserModel(connection),
      tokens: linkTokenModel(connection),
      nonces,
      codes,
      claims: linkClaimModel(connection),
    },
    client: deps.client,
    followMenu: deps.followMenu,
    limiter,
    services: deps.services,
    internalSecret: deps.internalSecret,
    clock,
    logger: deps.logger,
  });
  const merges = new LinkMergeService({
    links: deps.links,
    merges: lineLinkMergeModel(connection),
    codes,
    nonces,
    followMenu: deps.followMenu,
    clock,
    logger: deps.logger,
  });
  const pageBase = deps.config.LINE_PUBLIC_BASE_URL.replace(/\/+$/, '');
  const memberPageUrl = memberPageUrlOf(deps.config);
  const viewOf = (ctx: EventContext): LinkReplyView => ({ locale: ctx.locale, memberPageUrl });

  return {
    service,
    merges,
    async onLinkRequest(ctx) {
      if (await service.linkOf(ctx.userId)) return ctx.reply([alreadyLinked(viewOf(ctx))]);
      const linkToken = await deps.client.issueLinkToken(ctx.userId);
      await service.recordLinkToken(ctx.userId, linkToken);
      // the page is in the chat's language: LINE's in-app browser sends the phone's Accept-Language, not LINE's
      const page = `${pageBase}/line/link?linkToken=${encodeURIComponent(linkToken)}&lang=${ctx.locale}`;
      await ctx.reply(linkInvitation(viewOf(ctx), page));
    },
    async tryLinkCode(ctx, text) {
      const code = parseLinkCode(text);
      if (!code) return false;
      await ctx.reply(linkCodeReply(viewOf(ctx), await service.linkByCode(ctx.userId, code)));
      return true;
    },
    async onAccountLink(ctx, link, userId) {
      if (link.result !== 'ok') {
        await service.spendNonce(userId, link.nonce);
        deps.logger.info('LINE reported a failed account link');
        if (ctx) await ctx.reply([accountLinkFailed(viewOf(ctx))]);
        return;
      }
      const outcome = await service.linkByNonce(userId, link.nonce);
      if (ctx) await ctx.reply(accountLinkReply(viewOf(ctx), outcome));
    },
    routes: linkPageRoutes({ service, limiter, config: deps.config, logger: deps.logger }),
  };
}
