import bwipjs from 'bwip-js';

export type BarcodeFormat = 'CODE128' | 'QR';

export function renderBarcodeSvg(code: string, format: BarcodeFormat): string {
  return format === 'QR'
    ? bwipjs.toSVG({ bcid: 'qrcode', text: code })
    : bwipjs.toSVG({ bcid: 'code128', text: code, includetext: true, textxalign: 'center', height: 12 });
}
