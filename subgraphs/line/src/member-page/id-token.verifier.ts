import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { lineUserId } from '@omo/lib/contracts/members';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';

/** LINE's ID tokens all carry this issuer (developers.line.biz/en/docs/line-login/verify-id-token/). */
export const LINE_ID_TOKEN_ISSUER = 'https://access.line.me';

/** LINE's clock and ours may differ a little; a token is not refused for seconds of skew. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Who a verified ID token says the caller is. */
export interface LineIdentity {
  lineUserId: string;
  /** The LINE display name (profile scope), when the token has one. */
  name: string | null;
}

export interface IdTokenVerifierOptions {
  /** The LINE Login channel id: the token's `aud`. */
  channelId: string;
  /** The channel secret, for HS256 tokens (web login); without it HS256 is refused. */
  channelSecret?: string;
  /** LINE's public keys for ES256 tokens (LIFF, the LINE SDKs). */
  jwksUrl: string;
  clock: () => Date;
}

/**
 * Verifies the ID token the LIFF page sends, the only thing the page says that we believe: the LINE user id is the
 * token's `sub`, never a value the page sends itself. LINE signs LIFF's tokens ES256 with the keys at its JWKS
 * (cached by jose, refetched for an unknown `kid`), web login's HS256 with the channel secret; the header's alg
 * picks which, and any other alg (none, RS256 against a secret...) is refused before a key is chosen. iss, aud =
 * our channel, exp (required) and iat are checked against the injectable clock.
 *
 * Nonce: LINE says to compare it when the login request carried one. A LIFF token's nonce is one the SDK made
 * inside LINE's own login, which our page never sees and cannot pass on in a way the server could trust, so there
 * is nothing to compare it with; replay is bounded by exp instead (LINE's ID tokens live minutes, and the page
 * asks the SDK for the current one on every open). If the page ever starts its own login with a server-made
 * nonce, that nonce must be checked here.
 */
export class LineIdTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly secret: Uint8Array | null;

  constructor(private readonly options: IdTokenVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    this.secret = options.channelSecret ? new TextEncoder().encode(options.channelSecret) : null;
  }

  /** The identity, or null for anything but a valid, unexpired token of our channel (the reason is not the caller's business). */
  async verify(token: string): Promise<LineIdentity | null> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return null;
    }
    const checks = {
      issuer: LINE_ID_TOKEN_ISSUER,
      audience: this.options.channelId,
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: this.options.clock(),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    let payload: Record<string, unknown>;
    try {
      if (alg === 'ES256') payload = (await jwtVerify(token, this.keys, { ...checks, algorithms: ['ES256'] })).payload;
      else if (alg === 'HS256' && this.secret) payload = (await jwtVerify(token, this.secret, { ...checks, algorithms: ['HS256'] })).payload;
      else return null;
    } catch (error) {
      if (isKeySetUnreachable(error)) throw new ServiceUnavailableError('LINE Login', 'its key set could not be fetched');
      return null;
    }
    // jose checks iat only with a maximum age; a token issued "later than now" is no token LINE has issued yet
    if (typeof payload.iat !== 'number' || payload.iat > checks.currentDate.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS) return null;
    const sub = lineUserId.safeParse(payload.sub);
    if (!sub.success) return null;
    return { lineUserId: sub.data, name: typeof payload.name === 'string' && payload.name ? payload.name : null };
  }
}

/**
 * LINE's key set could not be fetched: that says nothing about the token, so the caller answers "try again"
 * (503) rather than "you are not logged in".
 */
function isKeySetUnreachable(error: unknown): boolean {
  return !(error instanceof errors.JOSEError) || UNREACHABLE_KEYS.has(error.code);
}

/** jose's codes for a key set that timed out, answered other than 200, or was not a key set. */
const UNREACHABLE_KEYS = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);
