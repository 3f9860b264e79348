import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { headerValue } from '@omo/lib/server/http';
import { localeOf, say, type Locale } from '../i18n/locale';
import { MEMBER_PAGE_TEXT, type MemberPageTextKey } from '../i18n/member-page.messages';
import type { LineIdentity, LineIdTokenVerifier } from './id-token.verifier';
import { MemberPageError } from './member-page.errors';
import { MEMBER_PAGE_API, MEMBER_PAGE_ASSETS, MEMBER_PAGE_PATH, memberPageHtml, memberPageSecurityPolicy } from './member-page.html';
import { parseClaim, parseJoin, parseLink, parseProfile } from './member-page.input';
import type { MemberPageService } from './member-page.service';
import type { MemberPageView } from './member-page.view';

const ASSETS_DIR = path.join(__dirname, 'assets');
const ASSETS: Record<string, { type: string; body: string }> = {
  'member-page.js': { type: 'text/javascript', body: readFileSync(path.join(ASSETS_DIR, 'member-page.js'), 'utf8') },
  'member-page-claim.js': { type: 'text/javascript', body: readFileSync(path.join(ASSETS_DIR, 'member-page-claim.js'), 'utf8') },
  'member-page.css': { type: 'text/css', body: readFileSync(path.join(ASSETS_DIR, 'member-page.css'), 'utf8') },
};

/** A language tag as LINE writes one ("ja", "en-US", "zh-Hant-TW"); anything else is no language. */
const LANGUAGE = /^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}$/;

function languageOf(req: Request): string | null {
  const lang = typeof req.query.lang === 'string' ? req.query.lang : null;
  return lang && LANGUAGE.test(lang) ? lang : null;
}

export interface MemberPageRoutesDeps {
  service: MemberPageService;
  /** Null when the LINE Login channel is not configured: the page says it is not available. */
  verifier: LineIdTokenVerifier | null;
  liffId: string | null;
  sdkUrl: string;
  logger: Logger;
}

/**
 * GET /line/member: the LIFF endpoint (the page's shell); /line/member/assets/*: its own script and style;
 * /line/member/api/*: its JSON API, every call with `Authorization: Bearer <LINE ID token>` and `?lang=` (the
 * language LIFF reports, or the page's `lang`). Answers are the page's view, refusals
 * `{ error: { code, message }, locale }` with the message in the caller's locale. A token that does not verify is
 * 401 before the body is parsed or anything is read or written.
 */
export function memberPageRoutes(deps: MemberPageRoutesDeps): Router {
  const { service, verifier, logger } = deps;
  const securityHeaders = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': memberPageSecurityPolicy(deps.sdkUrl),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
  const router = Router();

  router.get(MEMBER_PAGE_PATH, (req, res) => {
    const liffId = verifier ? deps.liffId : null;
    res.status(liffId ? 200 : 503).set(securityHeaders).type('html').send(memberPageHtml({ locale: localeOf(languageOf(req)), liffId, sdkUrl: deps.sdkUrl }));
  });

  router.get(`${MEMBER_PAGE_ASSETS}/:file`, (req, res) => {
    const asset = ASSETS[req.params.file];
    if (!asset) return void res.status(404).set(securityHeaders).type('text/plain').send('Not found');
    res.status(200).set({ ...securityHeaders, 'Cache-Control': 'public, max-age=300' }).type(asset.type).send(asset.body);
  });

  const refuse = (res: Response, locale: Locale, status: number, code: string, text: MemberPageTextKey) =>
    void res.status(status).set(securityHeaders).json({ error: { code, message: say(MEMBER_PAGE_TEXT[text], locale) }, locale });

  /**
   * The caller, verified from the bearer token before the body is read (a refused token is 401 whatever it
   * sends), kept for the handler in res.locals.
   */
  const authenticate: RequestHandler = async (req, res, next) => {
    const locale = localeOf(languageOf(req));
    try {
      if (!verifier) return refuse(res, locale, 503, 'SERVICE_UNAVAILABLE', 'notConfigured');
      const token = /^Bearer\s+(\S+)$/i.exec(headerValue(req.headers.authorization)?.trim() ?? '')?.[1];
      const identity = token ? await verifier.verify(token) : null;
      if (!identity) return refuse(res, locale, 401, 'UNAUTHENTICATED', 'unauthenticated');
      res.locals.identity = identity;
      next();
    } catch (error) {
      logger.error({ err: error }, 'member page API could not check the ID token');
      refuse(res, locale, 503, 'SERVICE_UNAVAILABLE', 'unavailable');
    }
  };

  /** One API call of a verified caller: the handler's view answered, its refusals worded. */
  const api =
    (handle: (identity: LineIdentity, body: unknown, locale: Locale) => Promise<MemberPageView>): RequestHandler =>
    async (req, res) => {
      const locale = localeOf(languageOf(req));
      try {
        res.status(200).set(securityHeaders).json(await handle(res.locals.identity as LineIdentity, req.body, locale));
      } catch (error) {
        if (error instanceof MemberPageError) return refuse(res, locale, error.status, String(error.extensions.code), error.text);
        logger.error({ err: error }, 'member page API failed');
        refuse(res, locale, 503, 'SERVICE_UNAVAILABLE', 'unavailable');
      }
    };

  const json = express.json({ limit: '8kb' });
  // a body refused by the parser (too large, not JSON) is worded like any other refusal, with no parser internals
  const bodyErrors: ErrorRequestHandler = (error: { type?: unknown }, req, res, next) => {
    if (res.headersSent) return void next(error);
    const tooLarge = error.type === 'entity.too.large';
    refuse(res, localeOf(languageOf(req)), tooLarge ? 413 : 400, 'BAD_REQUEST', tooLarge ? 'tooLarge' : 'badInput');
  };

  router.get(`${MEMBER_PAGE_API}/me`, authenticate, api((identity, _body, locale) => service.view(identity, locale)));
  router.post(`${MEMBER_PAGE_API}/join`, authenticate, json, api((identity, body, locale) => service.join(identity, parseJoin(body), locale)), bodyErrors);
  router.post(`${MEMBER_PAGE_API}/link`, authenticate, json, api((identity, body, locale) => service.link(identity, parseLink(body), locale)), bodyErrors);
  router.post(`${MEMBER_PAGE_API}/profile`, authenticate, json, api((identity, body, locale) => service.updateProfile(identity, parseProfile(body), locale)), bodyErrors);
  router.post(`${MEMBER_PAGE_API}/claim`, authenticate, json, api((identity, body, locale) => service.claimReceipt(identity, parseClaim(body), locale)), bodyErrors);
  router.post(`${MEMBER_PAGE_API}/unlink`, authenticate, api((identity, _body, locale) => service.unlink(identity, locale)));
  return router;
}
