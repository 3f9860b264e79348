import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { BearerVerifier, userIssuers } from '@omo/lib/core/bearer-tokens';
import type { AppConfig } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import type { LinkTokenDoc } from './link-token.model';
import type { AttemptLimiter } from '@omo/lib/core/attempt-limiter';
import { LINK_PAGE } from '../i18n/link.messages';
import { localeOf, type Locale } from '../i18n/locale';
import { linkFormPage, messagePage, pageSecurityPolicy } from './link-page';
import { LIMITS, type LinkService } from './link.service';

/** A form or query value, trimmed; anything else (missing, empty, repeated, oversized) is treated as absent. */
const field = (maxLength: number) => z.string().trim().min(1).max(maxLength).nullable().catch(null);

/** LINE's link tokens are short; anything longer is not one. */
const MAX_TOKEN_LENGTH = 512;

const linkTokenField = field(MAX_TOKEN_LENGTH);

/** A BCP 47 language tag as LINE and browsers write them ("ja", "en-US", "zh-Hant-TW"); anything else is absent. */
const languageField = z.string().trim().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/).nullable().catch(null);

/** The browser's preferred language: the Accept-Language entry of the highest weight ("*" says nothing). */
function preferredLanguage(header: string | undefined): string | null {
  const ranked = (header ?? '')
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), weight: q === undefined ? 1 : Number(q), order };
    })
    .filter((entry) => languageField.parse(entry.tag) !== null && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.order - b.order);
  return ranked[0]?.tag ?? null;
}

/**
 * The page's language: `lang` (the chat's link button passes the LINE user's; the form posts it back), else the
 * browser's Accept-Language, else Japanese.
 */
function pageLocale(req: Request): Locale {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const lang = languageField.parse(body.lang) ?? languageField.parse(req.query.lang);
  return localeOf(lang ?? preferredLanguage(req.headers['accept-language']));
}

/** The login form's post; the EC site posts a customer token instead of the member code and contact. */
const linkFormSchema = z.object({
  linkToken: linkTokenField,
  memberCode: field(40),
  contact: field(254),
  customerToken: field(MAX_TOKEN_LENGTH * 4),
});

/**
 * GET /line/link?linkToken=... shows the login form; POST /line/link checks the member code and contact with the
 * members service (or, posted by the EC site for its logged-in customer, a customer token instead) and sends the
 * browser on to LINE's account-link dialog with a fresh nonce. No cookies and no
 * session: the post carries the link token (bound to one LINE user when we asked LINE for it) and credentials,
 * so a forged cross-site post can do no more than the forger could do themself.
 */
export function linkPageRoutes(deps: { service: LinkService; limiter: AttemptLimiter; config: AppConfig; logger: Logger }): Router {
  const { service, limiter, config, logger } = deps;
  // only customers' tokens prove who is linking: a staff or POS token names nobody's membership
  const customerTokens = new BearerVerifier({ customer: userIssuers(config).customer });
  const headers = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': pageSecurityPolicy(config.LINE_ACCOUNT_LINK_URL),
    // the page's URL holds the link token: it must not leak to LINE or anywhere else as a referrer
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
  const send = (res: Response, locale: Locale, status: number, html: string) =>
    void res.status(status).set(headers).set({ 'Content-Language': locale, Vary: 'Accept-Language' }).type('html').send(html);
  const failed = (res: Response, locale: Locale, error: unknown) => {
    logger.error({ err: error }, 'LINE link page failed');
    send(res, locale, 503, messagePage(locale, LINK_PAGE.unavailable));
  };

  /** On to LINE's account-link dialog with a fresh nonce, unless the member already has a LINE account linked. */
  const sendToDialog = async (res: Response, locale: Locale, linkToken: string, token: LinkTokenDoc, memberId: string) => {
    if (await service.linkOfMember(memberId)) return send(res, locale, 409, messagePage(locale, LINK_PAGE.memberAlreadyLinked));
    const nonce = await service.createNonce(token, memberId);
    const dialog = new URL(config.LINE_ACCOUNT_LINK_URL);
    dialog.searchParams.set('linkToken', linkToken);
    dialog.searchParams.set('nonce', nonce);
    res.set(headers).redirect(302, dialog.href);
  };

  const router = Router();
  router.get('/line/link', async (req: Request, res: Response) => {
    const locale = pageLocale(req);
    try {
      const linkToken = linkTokenField.parse(req.query.linkToken);
      const token = linkToken ? await service.findLinkToken(linkToken) : null;
      if (!linkToken || !token) return send(res, locale, 410, messagePage(locale, LINK_PAGE.invalidLink));
      if (await service.linkOf(token.lineUserId)) return send(res, locale, 409, messagePage(locale, LINK_PAGE.lineAlreadyLinked));
      send(res, locale, 200, linkFormPage(locale, { linkToken }));
    } catch (error) {
      failed(res, locale, error);
    }
  });

  router.post('/line/link', express.urlencoded({ extended: false, limit: '8kb' }), async (req: Request, res: Response) => {
    const locale = pageLocale(req);
    try {
      const { linkToken, memberCode, contact, customerToken } = linkFormSchema.parse(req.body ?? {});
      const token = linkToken ? await service.findLinkToken(linkToken) : null;
      if (!linkToken || !token) return send(res, locale, 410, messagePage(locale, LINK_PAGE.invalidLink));
      if (await service.linkOf(token.lineUserId)) return send(res, locale, 409, messagePage(locale, LINK_PAGE.lineAlreadyLinked));
      if (customerToken) {
        // the EC site posts for its logged-in customer: the signed token is the proof, nothing to guess
        const memberId = await service.verifyCustomerToken(customerToken, customerTokens);
        if (!memberId) return send(res, locale, 401, messagePage(locale, LINK_PAGE.invalidCustomerToken));
        return await sendToDialog(res, locale, linkToken, token, memberId);
      }
      if (!memberCode || !contact) {
        return send(res, locale, 400, linkFormPage(locale, { linkToken, memberCode: memberCode ?? '', error: LINK_PAGE.missingInput }));
      }
      const reservation = await limiter.reserveAll([
        LIMITS.pageTriesPerToken(token._id),
        LIMITS.pageTriesPerUser(token.lineUserId),
      ]);
      if (!reservation) return send(res, locale, 429, messagePage(locale, LINK_PAGE.tooManyTries));
      let memberId: string | null;
      try {
        memberId = await service.verifyMember(memberCode, contact);
      } catch (error) {
        // the members service could not answer: that was no guess, so it does not count
        await reservation.release();
        throw error;
      }
      if (!memberId) return send(res, locale, 400, linkFormPage(locale, { linkToken, memberCode, error: LINK_PAGE.wrongCredentials }));
      await reservation.release();
      await sendToDialog(res, locale, linkToken, token, memberId);
    } catch (error) {
      failed(res, locale, error);
    }
  });
  return router;
}
