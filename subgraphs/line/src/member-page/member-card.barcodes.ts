import bwipjs from 'bwip-js';

export interface CardBarcodes {
  /** EAN-13 (JAN), what Japanese registers scan; null when the code is not 13 digits with a valid check digit. */
  ean13Svg: string | null;
  qrSvg: string;
}

/** How many cards' barcodes are kept drawn; a member opening the page again gets the same pictures. */
const CACHE_SIZE = 500;
const cache = new Map<string, CardBarcodes>();

/**
 * The member card's barcodes as SVG, black on white with quiet zones drawn in (a scanner finds the bars on any
 * background), scaled by the page's CSS. The EAN-13's digits are printed under it by bwip-js, in the guard
 * pattern layout registers expect; the QR carries the same code for scanners that read 2D codes.
 */
export function cardBarcodes(memberCode: string): CardBarcodes {
  const cached = cache.get(memberCode);
  if (cached) return cached;
  const drawn: CardBarcodes = { ean13Svg: /^\d{13}$/.test(memberCode) ? ean13(memberCode) : null, qrSvg: qr(memberCode) };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(memberCode, drawn);
  return drawn;
}

function ean13(code: string): string | null {
  try {
    return bwipjs.toSVG({
      bcid: 'ean13',
      text: code,
      includetext: true,
      guardwhitespace: true,
      scale: 3,
      height: 22,
      paddingwidth: 6,
      paddingheight: 4,
      backgroundcolor: 'FFFFFF',
    });
  } catch {
    // a code whose last digit is not the EAN-13 check digit cannot be drawn as one: the QR and the printed code remain
    return null;
  }
}

function qr(code: string): string {
  return bwipjs.toSVG({ bcid: 'qrcode', text: code, paddingwidth: 4, paddingheight: 4, backgroundcolor: 'FFFFFF' });
}

/**
 * A coupon's code as Code 128, what the registers scan (points' Coupon.barcodeValue is the code). Code 128 takes
 * any ASCII code, so this draws every code points issues.
 */
export function couponBarcode(code: string): string {
  return bwipjs.toSVG({ bcid: 'code128', text: code, scale: 2, height: 14, paddingwidth: 10, paddingheight: 4, backgroundcolor: 'FFFFFF' });
}
