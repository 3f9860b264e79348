import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { messagingApi } from '@line/bot-sdk';
import { chromium } from 'playwright-core';

/**
 * Redraws member.png and guest.png from the tap areas in member.json and guest.json, so the pictures always match
 * where a tap lands. Run by hand after changing a menu: `npx tsx subgraphs/line/richmenus/render-images.ts`.
 * Needs Debian's chromium and a Japanese font (`apt-get install chromium fonts-ipafont-gothic`); the PNGs are
 * committed, so neither CI nor `npm run line:richmenus` needs them. Retailers may replace the PNGs with their own
 * artwork of the same size.
 */
const MENUS = ['member', 'guest'] as const;
const ENGLISH: Record<string, string> = { ポイント: 'Points', 会員証: 'Member card', 履歴: 'History', 会員連携: 'Link membership', ヘルプ: 'Help' };
const COLORS = ['#06c755', '#05a847', '#048a3b'];

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function menuHtml(menu: messagingApi.RichMenuRequest): string {
  const tiles = (menu.areas ?? []).map((area, index) => {
    const { x = 0, y = 0, width = 0, height = 0 } = area.bounds ?? {};
    const label = area.action?.label ?? '';
    return `<div style="left:${x}px;top:${y}px;width:${width}px;height:${height}px;background:${COLORS[index % COLORS.length]}">
<b>${escapeHtml(label)}</b><small>${escapeHtml(ENGLISH[label] ?? '')}</small></div>`;
  });
  return `<!doctype html><meta charset="utf-8"><style>
body{margin:0;font-family:"IPAPGothic","Noto Sans CJK JP",sans-serif}
div{position:absolute;box-sizing:border-box;border:3px solid #fff;color:#fff;display:flex;flex-direction:column;align-items:center;justify-content:center}
b{font-size:72px;line-height:1.2}small{font-size:34px;opacity:.9}
</style>${tiles.join('\n')}`;
}

async function main(): Promise<void> {
  const dir = __dirname;
  const profile = await mkdtemp(path.join(os.tmpdir(), 'omo-richmenu-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const name of MENUS) {
      const menu = JSON.parse(await readFile(path.join(dir, `${name}.json`), 'utf8')) as messagingApi.RichMenuRequest;
      const { width = 0, height = 0 } = menu.size ?? {};
      const page = await browser.newPage();
      await page.setViewportSize({ width, height });
      await page.setContent(menuHtml(menu));
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
