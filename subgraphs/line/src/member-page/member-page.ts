import type { Router } from 'express';
import type { AppConfig } from '@omo/lib/core/config';
import type { Connection } from '@omo/lib/core/db';
import type { Logger } from '@omo/lib/core/logger';
import { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { LineClient } from '../line-api/line.client';
import { LinkClaims } from '../linking/link-claims';
import { linkAttemptModel } from '../linking/link-attempt.model';
import { linkClaimModel } from '../linking/link-claim.model';
import type { LineLinkModel } from '../linking/line-link.model';
import type { LinkService } from '../linking/link.service';
import { lineUserModel } from '../webhook/line-user.model';
import { LineIdTokenVerifier } from './id-token.verifier';
import { memberPageRoutes } from './member-page.routes';
import { MemberPageService } from './member-page.service';

export interface MemberPageDeps {
  links: LineLinkModel;
  linking: LinkService;
  client: LineClient;
  followMenu: (lineUserId: string) => Promise<void>;
  connection: Connection;
  services: ServiceDirectory;
  internalSecret: string;
  config: AppConfig;
  clock: () => Date;
  logger: Logger;
}

/**
 * The LIFF member page (docs/member-page.md): the page at /line/member and its JSON API. Links go through the
 * linking feature's LinkClaims and its attempts collection, so the one-to-one rule and the per-user limits are
 * the ones the link page keeps.
 */
export function createMemberPage(deps: MemberPageDeps): { routes: Router } {
  const { config, connection, clock, logger } = deps;
  const verifier = config.LINE_LOGIN_CHANNEL_ID
    ? new LineIdTokenVerifier({ channelId: config.LINE_LOGIN_CHANNEL_ID, channelSecret: config.LINE_LOGIN_CHANNEL_SECRET, jwksUrl: config.LINE_LOGIN_JWKS_URL, clock })
    : null;
  // a LIFF app's id starts with its channel's: another channel's app gets tokens for that channel, all refused here
  if (config.LIFF_ID && config.LINE_LOGIN_CHANNEL_ID && !config.LIFF_ID.startsWith(`${config.LINE_LOGIN_CHANNEL_ID}-`)) {
    logger.warn('LIFF_ID is not an app of LINE_LOGIN_CHANNEL_ID: the member page will refuse every ID token');
  }
  const claims = new LinkClaims({ links: deps.links, users: lineUserModel(connection), claims: linkClaimModel(connection), client: deps.client, followMenu: deps.followMenu, clock, logger });
  const service = new MemberPageService({
    services: deps.services,
    internalSecret: deps.internalSecret,
    claims,
    links: deps.links,
    linking: deps.linking,
    limiter: new AttemptLimiter(linkAttemptModel(connection), clock),
    logger,
  });
  return { routes: memberPageRoutes({ service, verifier, liffId: config.LIFF_ID ?? null, sdkUrl: config.LIFF_SDK_URL, logger }) };
}
