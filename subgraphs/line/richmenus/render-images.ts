import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { messagingApi } from '@line/bot-sdk';
import { launchBrowser } from '@omo/tools/testing/browser';

/**
 * Redraws member.png and guest.png from the tap areas in member.json and guest.json, so the pictures always match
 * where a tap lands. Run by hand after changing a menu: `npx tsx subgraphs/line/richmenus/render-images.ts`.
 * Draws in the browser the tests use (tools/testing/browser.ts: the npm build of Chromium unless CHROME_PATH says
 * otherwise). That build has no Japanese font, so the page embeds Noto Sans JP from @fontsource/noto-sans-jp as a
 * web font, served to the page from node_modules; the PNGs are committed, so neither CI nor
 * `npm run line:richmenus` needs any of this. Retailers may replace the PNGs with their own artwork of the same size.
 */
const MENUS = ['member', 'guest'] as const;
const ENGLISH: Record<string, string> = { ポイント: 'Points', 会員証: 'Member card', 履歴: 'History', 会員連携: 'Link membership', ヘルプ: 'Help' };
const COLORS = ['#06c755', '#05a847', '#048a3b'];
/** The page's own origin: every request the page makes is answered by `serve`, none leaves the machine. */
const ORIGIN = 'http://richmenu.invalid';
const FONT_WEIGHTS = ['400', '700'];

/** The @font-face rules of the weights we draw with, pointing at the package's files under ORIGIN/fonts/. */
async function fontCss(): Promise<{ css: string; dir: string }> {
  let first: string;
  try {
    first = require.resolve(`@fontsource/noto-sans-jp/${FONT_WEIGHTS[0]}.css`);
  } catch {
    throw new Error('@fontsource/noto-sans-jp is not installed (npm install): the npm Chromium has no Japanese font of its own');
  }
  const dir = path.dirname(first);
  const sheets = await Promise.all(FONT_WEIGHTS.map((weight) => readFile(path.join(dir, `${weight}.css`), 'utf8')));
  return { css: sheets.join('\n').replaceAll('url(./files/', `url(${ORIGIN}/fonts/`), dir };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function menuHtml(menu: messagingApi.RichMenuRequest, fonts: string): string {
  const tiles = (menu.areas ?? []).map((area, index) => {
    const { x = 0, y = 0, width = 0, height = 0 } = area.bounds ?? {};
    const label = area.action?.label ?? '';
    return `<div style="left:${x}px;top:${y}px;width:${width}px;height:${height}px;background:${COLORS[index % COLORS.length]}">
<b>${escapeHtml(label)}</b><small>${escapeHtml(ENGLISH[label] ?? '')}</small></div>`;
  });
  return `<!doctype html><meta charset="utf-8"><style>
${fonts}
body{margin:0;font-family:"Noto Sans JP"}
div{position:absolute;box-sizing:border-box;border:3px solid #fff;color:#fff;display:flex;flex-direction:column;align-items:center;justify-content:center}
b{font-size:72px;line-height:1.2}small{font-size:34px;opacity:.9}
</style>${tiles.join('\n')}`;
}

async function main(): Promise<void> {
  const dir = __dirname;
  const fonts = await fontCss();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'omo-richmenu-'));
  const browser = await launchBrowser(profile);
  try {
    for (const name of MENUS) {
      const menu = JSON.parse(await readFile(path.join(dir, `${name}.json`), 'utf8')) as messagingApi.RichMenuRequest;
      const { width = 0, height = 0 } = menu.size ?? {};
      const page = await browser.newPage();
      await page.route(`${ORIGIN}/**`, async (route) => {
        const { pathname } = new URL(route.request().url());
        if (pathname === '/menu.html') return route.fulfill({ contentType: 'text/html; charset=utf-8', body: menuHtml(menu, fonts.css) });
        const file = path.join(fonts.dir, 'files', path.basename(pathname));
        if (!pathname.startsWith('/fonts/') || !file.endsWith('.woff2')) return route.fulfill({ status: 404 });
        return route.fulfill({ contentType: 'font/woff2', body: await readFile(file) });
      });
      await page.setViewportSize({ width, height });
      await page.goto(`${ORIGIN}/menu.html`);
      // the glyphs' subsets load after layout; a screenshot before they arrive would show the fallback font
      await page.evaluate('document.fonts.ready.then(() => undefined)');
      const png = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width, height } });
      await writeFile(path.join(dir, `${name}.png`), png);
      process.stdout.write(`wrote ${name}.png (${width}x${height}, ${png.length} bytes)\n`);
      await page.close();
    }
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
