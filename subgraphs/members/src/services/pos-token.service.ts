import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { POS_TOKEN_AUDIENCE, POS_TOKEN_ISSUER } from '@omo/lib/core/bearer-tokens';
import type { PosAccessToken } from '@omo/lib/contracts/members';
import type { ApiKeyService } from './api-key.service';

interface SigningKeys {
  privateKey: KeyLike | Uint8Array;
  publicJwk: JWK & { kid: string };
}

/**
 * Exchanges a POS key for a short-lived, store-scoped bearer token (OAuth 2 client credentials), so every caller of
 * the supergraph presents a JWT that any gateway and every subgraph can verify against our published keys. A revoked
 * key gets no new token; a token already issued lives at most POS_TOKEN_TTL_SECONDS.
 */
export class PosTokenService {
  private keys?: Promise<SigningKeys>;

  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly options: { signingKey?: string; ttlSeconds: number },
  ) {}

  /** The token for a valid POS key; null for an unknown or revoked one. */
  async exchange(key: string): Promise<PosAccessToken | null> {
    const verified = await this.apiKeys.verify(key);
    if (!verified) return null;
    const { privateKey, publicJwk } = await this.signingKeys();
    // the real time, not the business clock: every verifier checks iat and exp against its own real clock
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ stores: verified.storeIds })
      .setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid })
      .setIssuer(POS_TOKEN_ISSUER)
      .setAudience(POS_TOKEN_AUDIENCE)
      .setSubject(verified.keyId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.ttlSeconds };
  }

  /** The public half, as a JWKS document for verifiers. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const { publicJwk } = await this.signingKeys();
    return { keys: [publicJwk] };
  }

  private signingKeys(): Promise<SigningKeys> {
    this.keys ??= this.loadKeys();
    return this.keys;
  }

  private async loadKeys(): Promise<SigningKeys> {
    if (this.options.signingKey) {
      const jwk = JSON.parse(this.options.signingKey) as JWK;
      const { d: _private, ...publicPart } = jwk;
      const kid = jwk.kid ?? 'pos-1';
      return { privateKey: await importJWK({ ...jwk, alg: 'ES256' }, 'ES256'), publicJwk: { ...publicPart, kid, alg: 'ES256', use: 'sig' } };
    }
    // development: a key for this process's life (production requires POS_TOKEN_SIGNING_KEY)
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: `dev-${randomUUID()}`, alg: 'ES256', use: 'sig' } };
  }
}
