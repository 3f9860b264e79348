import bwipjs from 'bwip-js';
import { LRUCache } from 'lru-cache';

export type BarcodeFormat = 'CODE128' | 'QR';

/**
 * Drawn barcodes by format and code. A card's barcode never changes and drawing one costs milliseconds of CPU, so
 * a card shown again (or asked for under many aliases) is drawn once. Bounded by size, not count: a QR code is
 * about 1.6 kB of SVG, a Code 128 with its digits about 16 kB, and 8 MB keeps 500 cards of the latter in a heap of
 * 128 MB.
 */
const drawn = new LRUCache<string, string>({ maxSize: 8_000_000, sizeCalculation: (svg) => svg.length });

let renders = 0;

/** How many barcodes this process has drawn (cache misses): lets tests see which requests reached the renderer. */
export function barcodeRenderCount(): number {
  return renders;
}

function draw(code: string, format: BarcodeFormat): string {
  renders += 1;
  return format === 'QR'
    ? bwipjs.toSVG({ bcid: 'qrcode', text: code })
    : bwipjs.toSVG({ bcid: 'code128', text: code, includetext: true, textxalign: 'center', height: 12 });
}

export function renderBarcodeSvg(code: string, format: BarcodeFormat): string {
  const key = `${format}:${code}`;
  let svg = drawn.get(key);
  if (svg === undefined) {
    svg = draw(code, format);
    drawn.set(key, svg);
  }
  return svg;
}
