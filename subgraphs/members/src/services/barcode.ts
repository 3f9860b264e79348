import bwipjs from 'bwip-js';

export type BarcodeFormat = 'CODE128' | 'QR';

let renders = 0;

/** How many barcodes this process has drawn: lets tests see which requests reached the renderer. */
export function barcodeRenderCount(): number {
  return renders;
}

export function renderBarcodeSvg(code: string, format: BarcodeFormat): string {
  renders += 1;
  return format === 'QR'
    ? bwipjs.toSVG({ bcid: 'qrcode', text: code })
    : bwipjs.toSVG({ bcid: 'code128', text: code, includetext: true, textxalign: 'center', height: 12 });
}
