import { randomInt } from 'node:crypto';
import bwipjs from 'bwip-js';
import type { Types } from 'mongoose';
import { insertOnce } from '@omo/lib/core/claims';
import { formatReceiptCode, RECEIPT_CODE_ALPHABET, RECEIPT_CODE_RANDOM_SYMBOLS, receiptCheckSymbol } from '@omo/lib/contracts/receipt-code';
import { DAY_MS } from '@omo/lib/core/time';
import type { ReceiptCodeModel } from '../models/receipt-claim-code.model';
import type { PurchaseDoc } from '../models/purchase.model';

/** Draws that met a code already taken before giving up: at 2^55 codes, one clash is already a bug. */
const MAX_DRAWS = 5;

function drawCode(): string {
  let body = '';
  for (let i = 0; i < RECEIPT_CODE_RANDOM_SYMBOLS; i += 1) body += RECEIPT_CODE_ALPHABET[randomInt(RECEIPT_CODE_ALPHABET.length)];
  return body + receiptCheckSymbol(body);
}

/**
 * A fresh receipt code for a guest purchase about to be inserted, kept in receipt_codes under the code itself.
 * The purchase stores it, so a resend of the same purchase answers the code its first insert stored.
 */
export async function newReceiptCode(codes: ReceiptCodeModel, purchaseId: Types.ObjectId, now: Date): Promise<string> {
  for (let draw = 0; draw < MAX_DRAWS; draw += 1) {
    const code = drawCode();
    // a clash means the code is taken: draw again
    if (await insertOnce(codes, { _id: code, purchaseId, createdAt: now })) return code;
  }
  throw new Error(`${MAX_DRAWS} receipt codes in a row were taken`);
}

/** Until when a purchase made at `occurredAt` can be claimed: `days` days (RECEIPT_CLAIM_DAYS) after it. */
export function claimableUntil(occurredAt: Date, days: number): Date {
  return new Date(occurredAt.getTime() + days * DAY_MS);
}

/** What a register prints for a receipt code (Purchase.receiptClaim); the code fields are null for callers who may not claim with it. */
export interface ReceiptClaimView {
  code: string | null;
  claimableUntil: Date;
  claimUrl: string | null;
  barcodeSvg: string | null;
  claimed: boolean;
}

/**
 * The code grouped for reading, and a QR code to scan: with a LIFF app, the member page's URL carrying the code, so
 * LINE's own QR reader (or the phone camera) opens the claim directly; without one, the code itself, for the
 * chat's scanner. LIFF keeps the query of `https://liff.line.me/<LIFF_ID>/?claim=...` for the page. Without
 * `withCode` only whether and until when it can be claimed (the QR code is not drawn either).
 */
export function receiptClaimView(purchase: PurchaseDoc, liffId: string | undefined, withCode: boolean): ReceiptClaimView | null {
  if (!purchase.receiptCode || !purchase.receiptClaimableUntil) return null;
  const status = { claimableUntil: purchase.receiptClaimableUntil, claimed: Boolean(purchase.memberId) };
  if (!withCode) return { ...status, code: null, claimUrl: null, barcodeSvg: null };
  const claimUrl = liffId ? `https://liff.line.me/${liffId}/?claim=${purchase.receiptCode}` : null;
  return {
    ...status,
    code: formatReceiptCode(purchase.receiptCode),
    claimUrl,
    barcodeSvg: bwipjs.toSVG({ bcid: 'qrcode', text: claimUrl ?? purchase.receiptCode }),
  };
}
