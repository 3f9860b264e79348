import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Long enough to walk to a register and scan; short enough that a forwarded or logged URL soon stops working. */
export const CARD_TOKEN_TTL_MS = 15 * 60_000;

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds tokens to this purpose and format: a ciphertext made for anything else never verifies as a card token. */
const PURPOSE = Buffer.from('omo-line-member-card/v1');
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{40,200}$/;

export interface IssuedCardToken {
  token: string;
  expiresAt: Date;
}

/**
 * The URL-safe token naming a member-card barcode image. It is sealed with AES-256-GCM under a key derived from
 * INTERNAL_SECRET: unforgeable (the GCM tag), unguessable (a random IV per token), and opaque, so the URL that
 * LINE and any proxy in between see carries neither a member id nor the member code. It holds the member code
 * and its expiry, so the image route needs no database and no other service, and nothing has to be cleaned up.
 */
export class CardTokens {
  private readonly key: Buffer;

  constructor(internalSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', internalSecret, 'omo-line', PURPOSE, 32));
  }

  issue(memberCode: string, now: Date): IssuedCardToken {
    const expiresAt = new Date(now.getTime() + CARD_TOKEN_TTL_MS);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(PURPOSE);
    const sealed = Buffer.concat([cipher.update(`${expiresAt.getTime()}.${memberCode}`, 'utf8'), cipher.final()]);
    return { token: Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url'), expiresAt };
  }

  /** The member code a token was issued for and when it expires; null when it is forged, damaged or expired. */
  verify(token: string, now: Date): { memberCode: string; expiresAt: Date } | null {
    if (!TOKEN_PATTERN.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    // one token, one spelling: base64 ignores a last character's spare bits, which would give each token twins
    if (bytes.length <= IV_BYTES + TAG_BYTES || bytes.toString('base64url') !== token) return null;
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(PURPOSE);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
    const match = /^(\d+)\.(.+)$/.exec(plain);
    if (!match?.[1] || !match[2]) return null;
    const expiresAt = new Date(Number(match[1]));
    return expiresAt.getTime() > now.getTime() ? { memberCode: match[2], expiresAt } : null;
  }
}
