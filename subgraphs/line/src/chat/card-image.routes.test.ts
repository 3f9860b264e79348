import express from 'express';
import { createLogger } from '@omo/lib/core/logger';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { cardImageRoutes } from './card-image.routes';
import { CARD_TOKEN_TTL_MS, CardTokens } from './card-token';

const SECRET = 'test-internal-secret-0123456789abcdef01234';
const CODE = '2912345678903';
const ISSUED = new Date('2026-05-10T03:00:00.000Z');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let http: RunningHttpServer;
let now: Date;
const tokens = new CardTokens(SECRET);

beforeAll(async () => {
  http = await listen(express().use(cardImageRoutes({ tokens, clock: () => now, logger: createLogger('silent') })), 0);
});
afterAll(() => http.close());
beforeEach(() => {
  now = ISSUED;
});

const get = (path: string) => fetch(`${http.url}${path}`);

describe('GET /line/cards/:token.png', () => {
  it('serves the barcode as a PNG that fits LINE’s 1024 x 1024 limit, cacheable only by the phone until expiry', async () => {
    const { token } = tokens.issue(CODE, ISSUED);
    now = new Date(ISSUED.getTime() + 5 * 60_000);
    const response = await get(`/line/cards/${token}.png`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toBe('private, max-age=600');
    const png = Buffer.from(await response.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeLessThanOrEqual(1024);
    expect(height).toBeLessThanOrEqual(1024);
    // the Flex card shows it at 2:1 with "fit": close to that, nothing is lost to letterboxing
    expect(width / height).toBeGreaterThan(1.6);
    expect(width / height).toBeLessThan(2.4);
  });

  it('answers 404 once the token has expired', async () => {
    const { token } = tokens.issue(CODE, ISSUED);
    now = new Date(ISSUED.getTime() + CARD_TOKEN_TTL_MS);
    const response = await get(`/line/cards/${token}.png`);
    expect(response.status).toBe(404);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 404 to a forged or damaged token', async () => {
    const foreign = new CardTokens('another-internal-secret-0123456789abcdef').issue(CODE, ISSUED).token;
    const { token } = tokens.issue(CODE, ISSUED);
    for (const path of [`/line/cards/${foreign}.png`, `/line/cards/${token.slice(1)}.png`, '/line/cards/nothing.png', `/line/cards/${token}`]) {
      expect((await get(path)).status).toBe(404);
    }
  });
});
