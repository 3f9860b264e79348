import type { Caller } from '@omo/lib/auth';
import type { BearerVerifier } from '@omo/lib/bearer-tokens';
import { UnauthenticatedError } from '@omo/lib/errors';
import { callerOf } from '@omo/lib/subgraph-server';
import { POS_TOKEN_PATH } from '@omo/members/src/internal/pos-token.routes';

const MAX_CACHED_KEYS = 10_000;
const EXCHANGE_TIMEOUT_MS = 3_000;
/** Real keys are 64 characters; anything much longer is refused here rather than cached or sent to members. */
const MAX_API_KEY_LENGTH = 256;
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
  private readonly posTokens = new Map<string, { bearer: string | null; renewAt: number }>();

  constructor(
    private readonly options: {
      verifier: BearerVerifier;
      membersBaseUrl: string;
      now?: () => number;
    },
  ) {}

  async authenticate(headers: { authorization?: string; apiKey?: string }): Promise<Authenticated> {
    if (headers.authorization !== undefined) {
      const caller = await callerOf(headers.authorization, this.options.verifier);
      return { caller, bearer: headers.authorization.trim() };
    }
    if (headers.apiKey !== undefined) {
      const token = await this.posToken(headers.apiKey.trim());
      if (!token) throw new UnauthenticatedError('Invalid API key', 401);
      return { caller: await this.options.verifier.verify(token), bearer: `Bearer ${token}` };
    }
    return { caller: { kind: 'anonymous' } };
  }

  private async posToken(key: string): Promise<string | null> {
    if (key.length > MAX_API_KEY_LENGTH) return null;
    const now = this.options.now?.() ?? Date.now();
    const cached = this.posTokens.get(key);
    if (cached && cached.renewAt > now) return cached.bearer;
    const answer = await this.exchange(key);
    if (this.posTokens.size >= MAX_CACHED_KEYS) this.posTokens.clear();
    // a refused key is remembered briefly too, so a bad key hammering the gateway does not hammer members
    // (a token of 60 s or less is not kept at all: each request exchanges the key, so a revoked key stops at once)
    const renewAt = answer ? now + answer.expiresInSeconds * 1000 - RENEW_BEFORE_MS : now + RENEW_BEFORE_MS / 2;
    this.posTokens.set(key, { bearer: answer?.token ?? null, renewAt });
    return answer?.token ?? null;
  }

  private async exchange(key: string): Promise<{ token: string; expiresInSeconds: number } | null> {
    const response = await fetch(`${this.options.membersBaseUrl}${POS_TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString(),
      signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
    });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`POS key exchange failed with HTTP ${response.status}`);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    return { token: body.access_token, expiresInSeconds: body.expires_in };
  }
}
