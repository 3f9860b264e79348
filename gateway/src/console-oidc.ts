import { decodeJwt } from 'jose';
import type { Caller } from '@omo/lib/core/auth';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { isLoopbackHostname } from '@omo/lib/core/loopback';

/**
 * The staff console's sign-in against the retailer's staff identity provider: OpenID Connect's authorization code
 * flow with PKCE. The browser goes to the provider's authorization endpoint and back to the console with a code; the
 * console sends the code and its PKCE verifier here, the gateway redeems them at the token endpoint (with the
 * client's secret when it has one, which therefore never reaches a browser) and answers the access token only once
 * it has verified it as every request's staff token is verified. So the console holds exactly the kind of token the
 * gateway accepts, from the provider that issues it, and nothing else.
 */
export interface StaffOidcConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope: string;
}

/** What the console needs to send staff to the provider. */
export interface StaffOidcStart {
  authorizationEndpoint: string;
  clientId: string;
  scope: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  code_challenge_methods_supported?: unknown;
}

/** A sign-in that cannot be completed: `status` is what the console is answered (400 its request, 403 the person, 502 the provider). */
export class SignInRefused extends Error {
  constructor(
    readonly status: 400 | 403 | 502,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;
/** How long a failed discovery is remembered before the provider is asked again. */
const DISCOVERY_RETRY_MS = 30_000;

/** The provider's errors that mean our client is misconfigured (RFC 6749 5.2), not that this person's code was bad. */
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type']);

/** An endpoint staff's browser or the gateway may be sent to: https, or http on this machine (development, tests). */
function safeEndpoint(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname));
  } catch {
    return false;
  }
}

export class StaffOidc {
  private discovery: Promise<Discovery> | undefined;
  private failedAt = 0;
  private lastFailure: SignInRefused | undefined;

  constructor(
    private readonly config: StaffOidcConfig,
    /** The gateway's own verification of a bearer token (its issuer, audience, keys, lifetime, role). */
    private readonly verify: (token: string) => Promise<Caller>,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<StaffOidcStart> {
    const found = await this.discover();
    return { authorizationEndpoint: found.authorization_endpoint, clientId: this.config.clientId, scope: this.config.scope };
  }

  /** The staff token for an authorization code this console's sign-in received. */
  async exchange(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<{ token: string; caller: Extract<Caller, { kind: 'staff' }> }> {
    const found = await this.discover();
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirectUri, code_verifier: input.codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.config.clientSecret) {
      // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded, then base64
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.config.clientId)}:${encodeURIComponent(this.config.clientSecret)}`).toString('base64')}`;
    } else body.set('client_id', this.config.clientId);
    const response = await fetch(found.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((error: unknown) => {
      this.logger?.warn({ err: error }, 'staff sign-in: the token endpoint could not be reached');
      throw new SignInRefused(502, 'The staff identity provider could not be reached');
    });
    const answer = (await response.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
    if (!response.ok || typeof answer.access_token !== 'string') {
      const code = typeof answer.error === 'string' ? answer.error : undefined;
      this.logger?.warn({ status: response.status, error: code }, 'staff sign-in: the token endpoint refused the code');
      // our client's own problem (a wrong id or secret, a grant it may not use): nothing the person can do about it
      if (code && CLIENT_ERRORS.has(code)) throw new SignInRefused(502, 'The console is not set up correctly at the staff identity provider');
      // invalid_grant: a code used twice, expired, or redeemed with another verifier or redirect
      if (response.status >= 400 && response.status < 500) throw new SignInRefused(400, `The identity provider refused the sign-in (${code ?? response.status}): start again`);
      throw new SignInRefused(502, 'The staff identity provider answered no access token');
    }
    let caller: Caller;
    try {
      caller = await this.verify(answer.access_token);
    } catch (error) {
      // a key set that cannot be read now is the provider's outage, not this person's token
      if (error instanceof AppError && error.extensions.code === 'SERVICE_UNAVAILABLE') throw new SignInRefused(502, 'The staff identity provider’s keys could not be read');
      this.logger?.warn({ token: claimsOf(answer.access_token), reason: error instanceof Error ? error.message : String(error) }, 'staff sign-in: the access token is not a staff token');
      throw new SignInRefused(403, 'The identity provider’s token is not a staff token for this program (issuer, audience or role)');
    }
    if (caller.kind !== 'staff') {
      this.logger?.warn({ token: claimsOf(answer.access_token), kind: caller.kind }, 'staff sign-in: the access token is not a staff token');
      throw new SignInRefused(403, 'This account has no staff role in the program');
    }
    return { token: answer.access_token, caller };
  }

  private discover(): Promise<Discovery> {
    // a provider that just failed is not asked again by every page load for a while
    if (!this.discovery && this.lastFailure && Date.now() - this.failedAt < DISCOVERY_RETRY_MS) return Promise.reject(this.lastFailure);
    this.discovery ??= (async () => {
      const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const found = (await response.json()) as Partial<Discovery>;
      // OpenID Connect Discovery 4.3: the document must name the issuer it was asked for
      if (found.issuer !== this.config.issuer) throw new Error(`the discovery document names issuer ${String(found.issuer)}, not STAFF_OIDC_ISSUER`);
      if (!safeEndpoint(found.authorization_endpoint) || !safeEndpoint(found.token_endpoint)) throw new Error('the discovery document has no https authorization and token endpoints');
      const methods = found.code_challenge_methods_supported;
      if (Array.isArray(methods) && !methods.includes('S256')) throw new Error('the provider does not support PKCE with S256');
      return found as Discovery;
    })().catch((error: unknown) => {
      // asked again after a while: a provider down at start-up must not disable the sign-in for good
      this.discovery = undefined;
      this.failedAt = Date.now();
      this.logger?.warn({ err: error, issuer: this.config.issuer }, 'staff sign-in: the identity provider’s discovery document could not be used');
      this.lastFailure = new SignInRefused(502, 'The staff identity provider cannot be reached now');
      throw this.lastFailure;
    });
    return this.discovery;
  }
}

/** A token's issuer, audience and subject for a log line (never the token itself). */
function claimsOf(token: string): Record<string, unknown> {
  try {
    const { iss, aud, sub } = decodeJwt(token);
    return { iss, aud, sub };
  } catch {
    return { opaque: true };
  }
}
