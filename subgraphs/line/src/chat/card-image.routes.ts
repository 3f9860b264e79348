import bwipjs from 'bwip-js';
import { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import type { CardTokens } from './card-token';

/** Where the card images are served; the Flex card links here with a fresh token. */
export const CARD_IMAGE_PATH = '/line/cards';

/**
 * Code 128 (what the registers scan, as the members service renders it), at 4 px per module: about 570 x 280 px,
 * sharp on phone screens and inside LINE's 1024 x 1024 limit for Flex images. The quiet zone is part of the
 * image so a scanner finds the bars on any chat background.
 */
export function renderCardPng(memberCode: string): Promise<Buffer> {
  return bwipjs.toBuffer({
    bcid: 'code128',
    text: memberCode,
    scale: 4,
    height: 18,
    includetext: true,
    textxalign: 'center',
    paddingwidth: 10,
    paddingheight: 6,
    backgroundcolor: 'FFFFFF',
  });
}

/**
 * GET /line/cards/<token>.png: the member-card barcode, fetched by customers' phones, so without any credential
 * but the token itself. A forged, damaged or expired token gets the same 404 as an unknown path, so the route
 * tells a guesser nothing. The token is a bearer credential and is never logged.
 */
export function cardImageRoutes(deps: { tokens: CardTokens; clock: () => Date; logger: Logger }): Router {
  const router = Router();
  router.get(`${CARD_IMAGE_PATH}/:token.png`, async (req, res) => {
    const now = deps.clock();
    const card = deps.tokens.verify(req.params.token, now);
    res.set({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    if (!card) return void res.status(404).set('cache-control', 'no-store').type('text/plain').send('Not found');
    let png: Buffer;
    try {
      png = await renderCardPng(card.memberCode);
    } catch (error) {
      deps.logger.error({ err: error }, 'member card barcode could not be rendered');
      return void res.status(500).set('cache-control', 'no-store').type('text/plain').send('Internal server error');
    }
    // the phone may keep the image until the token expires, and no shared cache may keep it at all
    const seconds = Math.max(0, Math.floor((card.expiresAt.getTime() - now.getTime()) / 1000));
    res.status(200).set('cache-control', `private, max-age=${seconds}`).type('image/png').send(png);
  });
  return router;
}
