import { LRUCache } from 'lru-cache';
import type { Caller } from '@omo/lib/core/auth';
import { VerifiedBearers, type BearerVerifier } from '@omo/lib/core/bearer-tokens';
import { UnauthenticatedError } from '@omo/lib/core/errors';
import { POS_TOKEN_PATH, posTokenResponseSchema, type PosTokenRequest } from '@omo/lib/contracts/members';

const MAX_CACHED_KEYS = 10_000;
export const EXCHANGE_TIMEOUT_MS = 3_000;
/** What a POS key looks like; anything else is refused here rather than cached or sent to members. */
const API_KEY_FORMAT = /^omo_pos_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/;
/** A cached POS token is renewed this long before it expires, so none expires on its way to a subgraph. */
const RENEW_BEFORE_MS = 60_000;

/** The caller, and the bearer token that speaks for them to the subgraphs (none for anonymous callers). */
export interface Authenticated {
  caller: Caller;
  bearer?: string;
}

/**
 * Establishes who is calling: a customer, staff or POS bearer token (verified against its issuer), a POS key (which
 * the gateway exchanges at the members service for a short-lived store-scoped token, cached until shortly before it
 * expires, as an integrator could do itself at POST /oauth/token), or nobody. The subgraphs verify the same token
 * again, so they trust no gateway for who the caller is.
 */
export class GatewayAuthenticator {
  // valid keys' tokens and refused keys apart, so a flood of wrong keys cannot push the integrators' tokens out
  private readonly posTokens = new LRUCache<string, { auth: Required<Authenticated>; renewAt: number }>({ max: MAX_CACHED_KEYS });
  private readonly refusedKeys = new LRUCache<string, number>({ max: MAX_CACHED_KEYS });
  private readonly verifiedBearers: VerifiedBearers;

  constructor(
    private readonly options: {
      verifier: BearerVerifier;
      membersBaseUrl: string;
      now?: () => number;
    },
  ) {
    this.verifiedBearers = new VerifiedBearers(options.verifier, () => this.now());
  }

  async authenticate(headers: { authorization?: string; apiKey?: string }): Promise<Authenticated> {
    if (headers.authorization !== undefined) return this.bearer(headers.authorization.trim());
    if (headers.apiKey !== undefined) {
      const auth = await this.posToken(headers.apiKey.trim());
      if (!auth) throw new UnauthenticatedError('Invalid API key', 401);
      return auth;
    }
    return { caller: { kind: 'anonymous' } };
  }

  /** The caller of an Authorization header; a token that verifies is remembered, one that does not is checked each time. */
  private async bearer(authorization: string): Promise<Required<Authenticated>> {
    return { caller: await this.verifiedBearers.callerOf(authorization), bearer: authorization };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The key's caller and POS token: verified once when exchanged, then kept until it is renewed. */
  private async posToken(key: string): Promise<Required<Authenticated> | null> {
    if (!API_KEY_FORMAT.test(key)) return null;
    const now = this.now();
    const cached = this.posTokens.get(key);
    if (cached && cached.renewAt > now) return cached.auth;
    // a refused key is remembered briefly, so a bad key hammering the gateway does not hammer members
    if ((this.refusedKeys.get(key) ?? 0) > now) return null;
    const answer = await this.exchange(key);
    if (!answer) {
      this.refusedKeys.set(key, now + RENEW_BEFORE_MS / 2);
      return null;
    }
    const auth = { caller: await this.options.verifier.verify(answer.token), bearer: `Bearer ${answer.token}` };
    // (a token of 60 s or less is not kept at all: each request exchanges the key, so a revoked key stops at once)
    this.posTokens.set(key, { auth, renewAt: now + answer.expiresInSeconds * 1000 - RENEW_BEFORE_MS });
    return auth;
  }

  private async exchange(key: string): Promise<{ token: string; expiresInSeconds: number } | null> {
    const request: PosTokenRequest = { grant_type: 'client_credentials', client_secret: key };
    const response = await fetch(`${this.options.membersBaseUrl}${POS_TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(request).toString(),
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`POS key exchange failed with HTTP ${response.status}`);
    const answer = posTokenResponseSchema.safeParse(await response.json());
    if (!answer.success) throw new Error('POS key exchange failed: members answered something other than a token');
    return { token: answer.data.access_token, expiresInSeconds: answer.data.expires_in };
  }
}
