import { createHash, randomUUID } from 'node:crypto';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { listen } from '@omo/lib/server/http';

/**
 * A retailer's staff identity provider on loopback, as OpenID Connect providers document it: discovery
 * (/.well-known/openid-configuration, OpenID Connect Discovery 1.0), the authorization endpoint of the code flow
 * with PKCE (RFC 7636, S256 only), the token endpoint (RFC 6749 4.1.3 and 5.2: invalid_client (401) for an unknown
 * client or a wrong secret, unsupported_grant_type, invalid_grant for a code used twice, older than a minute, or
 * redeemed with another verifier or redirect) and its JWKS. A client with a `clientSecret` authenticates with
 * client_secret_basic (2.3.1), one without sends its client_id in the form. The person "signing in" is `user`, who
 * approves at once; their access token carries the program's audience and, if they have one, their role.
 */
export interface FakeStaffIdp {
  issuer: string;
  jwksUrl: string;
  clientId: string;
  user: { sub: string; role?: 'STAFF' | 'ADMIN' };
  /** Redirect URIs registered for the client (exact match, as providers require). */
  redirectUris: Set<string>;
  /** What the authorization endpoint and the token endpoint were sent, in order. */
  authorizations: URLSearchParams[];
  tokenRequests: URLSearchParams[];
  /** The Authorization header of each token request (a confidential client's credentials). */
  tokenAuthorizations: (string | undefined)[];
  close(): Promise<void>;
}

interface Grant {
  issuedAt: number;
  clientId: string;
  redirectUri: string;
  challenge: string;
  user: FakeStaffIdp['user'];
  used: boolean;
}

const CODE_LIFETIME_MS = 60_000;

export async function startFakeStaffIdp(options: { clientId: string; audience: string; clientSecret?: string }): Promise<FakeStaffIdp> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const grants = new Map<string, Grant>();
  const app = express();
  const idp: Omit<FakeStaffIdp, 'issuer' | 'jwksUrl' | 'close'> = {
    clientId: options.clientId,
    user: { sub: 'sato.admin', role: 'ADMIN' },
    redirectUris: new Set(),
    authorizations: [],
    tokenRequests: [],
    tokenAuthorizations: [],
  };
  let issuer = '';

  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });
  app.get('/jwks', async (_req, res) => {
    res.json({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  });
  app.get('/authorize', (req, res) => {
    const q = new URLSearchParams(req.url.split('?')[1] ?? '');
    idp.authorizations.push(q);
    const redirectUri = q.get('redirect_uri') ?? '';
    // an unregistered redirect is never followed: the provider shows its own error page
    if (q.get('client_id') !== idp.clientId || !idp.redirectUris.has(redirectUri)) return void res.status(400).type('text').send('unknown client or redirect_uri');
    const back = new URL(redirectUri);
    if (q.get('state')) back.searchParams.set('state', q.get('state')!);
    if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      back.searchParams.set('error', 'invalid_request');
      return void res.redirect(302, back.toString());
    }
    const code = randomUUID();
    grants.set(code, { issuedAt: Date.now(), clientId: idp.clientId, redirectUri, challenge: q.get('code_challenge')!, user: { ...idp.user }, used: false });
    back.searchParams.set('code', code);
    res.redirect(302, back.toString());
  });
  app.post('/token', express.urlencoded({ extended: false }), async (req, res) => {
    const form = new URLSearchParams(req.body as Record<string, string>);
    idp.tokenRequests.push(form);
    idp.tokenAuthorizations.push(req.headers.authorization);
    // who the client is: HTTP Basic with its form-encoded id and secret, or (a public client) client_id in the form
    let clientId = form.get('client_id');
    let secret: string | undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id = '', password = ''] = Buffer.from(basic[1]!, 'base64').toString().split(':');
      [clientId, secret] = [decodeURIComponent(id), decodeURIComponent(password)];
    }
    if (clientId !== idp.clientId || secret !== options.clientSecret) return void res.status(401).set('www-authenticate', 'Basic').json({ error: 'invalid_client' });
    if (form.get('grant_type') !== 'authorization_code') return void res.status(400).json({ error: 'unsupported_grant_type' });
    const grant = grants.get(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!grant || grant.used || Date.now() - grant.issuedAt > CODE_LIFETIME_MS || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
      return void res.status(400).json({ error: 'invalid_grant' });
    }
    grant.used = true;
    const sign = (claims: Record<string, unknown>, audience: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(grant.user.sub)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    res.set('cache-control', 'no-store').json({
      access_token: await sign(grant.user.role ? { role: grant.user.role } : {}, options.audience),
      id_token: await sign({}, idp.clientId),
      token_type: 'Bearer',
      expires_in: 3600,
    });
  });

  const running = await listen(app, 0);
  issuer = running.url;
  return Object.assign(idp, { issuer, jwksUrl: `${issuer}/jwks`, close: () => running.close() });
}
