import type { Caller } from '@omo/lib/core/auth';

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

export class StaffOidc {
  private discovery: Promise<Discovery> | undefined;

  constructor(
    private readonly config: StaffOidcConfig,
    /** The gateway's own verification of a bearer token (its issuer, audience, keys, lifetime, role). */
    private readonly verify: (token: string) => Promise<Caller>,
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
    const response = await fetch(found.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => {
      throw new SignInRefused(502, 'The staff identity provider could not be reached');
    });
    const answer = (await response.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
    if (!response.ok || typeof answer.access_token !== 'string') {
      // invalid_grant: a code used twice, expired, or redeemed with another verifier or redirect
      if (response.status >= 400 && response.status < 500) throw new SignInRefused(400, `The identity provider refused the sign-in (${typeof answer.error === 'string' ? answer.error : response.status})`);
      throw new SignInRefused(502, 'The staff identity provider answered no access token');
    }
    let caller: Caller;
    try {
      caller = await this.verify(answer.access_token);
    } catch {
      throw new SignInRefused(403, 'The identity provider’s token is not a staff token for this program (issuer, audience or role)');
    }
    if (caller.kind !== 'staff') throw new SignInRefused(403, 'This account has no staff role in the program');
    return { token: answer.access_token, caller };
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const found = (await response.json()) as Partial<Discovery>;
      // OpenID Connect Discovery 4.3: the document must name the issuer it was asked for
      if (found.issuer !== this.config.issuer || typeof found.authorization_endpoint !== 'string' || typeof found.token_endpoint !== 'string') {
        throw new Error('the discovery document does not match STAFF_OIDC_ISSUER');
      }
      return found as Discovery;
    })().catch((error: unknown) => {
      // asked again next time: a provider down at start-up must not disable the sign-in for good
      this.discovery = undefined;
      throw new SignInRefused(502, `The staff identity provider's configuration could not be read: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.discovery;
  }
}
