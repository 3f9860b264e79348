import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { z } from 'zod';
import { hmacKey, VerifiedHeaders, type Caller } from '@omo/lib/core/auth';
import type { AppConfig } from '@omo/lib/core/config';
import { AppError, UnauthenticatedError } from '@omo/lib/core/errors';

/** POS keys are exchanged for tokens of this issuer (the members service, which owns the keys). */
export const POS_TOKEN_ISSUER = 'omo-members';
export const POS_TOKEN_AUDIENCE = 'omo-pos';
/** Where the members service publishes the public keys of its POS tokens. */
export const POS_JWKS_PATH = '/.well-known/jwks.json';

/** Registers and servers disagree on the time by a little; more than this and a token is refused. */
const CLOCK_TOLERANCE_SECONDS = 30;

type Kind = 'customer' | 'staff' | 'pos';

/** jose's codes for a key set it could not fetch (a timeout; a non-200 answer or a body that is no JWKS). */
const UNREACHABLE_KEYS = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

/** One issuer callers' tokens may come from: its name, the audience its tokens must name, and its keys. */
export interface IssuerSpec {
  issuer: string;
  audience: string;
  /** A JWKS URL (RS256 / ES256), resolved at first use; or a shared HS256 secret (development and tests). */
  keys: { jwksUrl: () => string } | { secret: string } | { key: KeyLike | Uint8Array };
  maxLifetimeSeconds: number;
}

const staffClaims = z.object({ sub: z.string().min(1), role: z.enum(['STAFF', 'ADMIN']) });
const customerClaims = z.object({ sub: z.string().min(1) });
const posClaims = z.object({ sub: z.string().min(1), stores: z.array(z.string().min(1)).min(1) });

/**
 * Verifies a caller's bearer token against the issuer it names: customers' (the retailer's identity provider),
 * staff's (another issuer, another key) or POS tokens (the members service). A token is accepted only by its own
 * issuer's key, with that issuer's audience, exp and iat present, nbf respected and a lifetime no longer than the
 * issuer allows; so no key that can mint customer tokens can mint staff tokens, and the reverse.
 */
export class BearerVerifier {
  private readonly remoteKeys = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly issuers: Partial<Record<Kind, IssuerSpec>>) {}

  async verify(token: string): Promise<Caller> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new UnauthenticatedError('Invalid or expired token', 401);
    }
    const kind = (Object.keys(this.issuers) as Kind[]).find((k) => this.issuers[k]?.issuer === issuer);
    const spec = kind && this.issuers[kind];
    if (!kind || !spec) throw new UnauthenticatedError('Invalid or expired token', 401);
    const payload = await this.verifyWith(spec, token);
    return callerOfClaims(kind, payload);
  }

  private async verifyWith(spec: IssuerSpec, token: string): Promise<JWTPayload> {
    const options = {
      issuer: spec.issuer,
      audience: spec.audience,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: spec.maxLifetimeSeconds,
      algorithms: 'secret' in spec.keys ? ['HS256'] : ['RS256', 'ES256'],
    };
    let payload: JWTPayload;
    try {
      if ('secret' in spec.keys) payload = (await jwtVerify(token, hmacKey(spec.keys.secret), options)).payload;
      else if ('key' in spec.keys) payload = (await jwtVerify(token, spec.keys.key, options)).payload;
      else payload = (await jwtVerify(token, this.remoteKeySet(spec.keys.jwksUrl()), options)).payload;
    } catch (error) {
      // an issuer's key set that cannot be fetched says nothing about the token: try again, do not sign the caller out
      if (!(error instanceof errors.JOSEError) || UNREACHABLE_KEYS.has(error.code)) {
        throw new AppError('Tokens cannot be verified right now; try again shortly', 'SERVICE_UNAVAILABLE', {}, 503);
      }
      // a token that verifies but lacks a claim we require is told so; other reasons are not the caller's business
      if ((error as { reason?: unknown }).reason === 'missing') throw new UnauthenticatedError('Token is missing required claims', 401);
      throw new UnauthenticatedError('Invalid or expired token', 401);
    }
    // maxTokenAge bounds the age from iat; a token claiming a longer life than allowed is refused outright
    if (payload.exp! - payload.iat! > spec.maxLifetimeSeconds) {
      throw new UnauthenticatedError('The token lives longer than its issuer allows', 401);
    }
    return payload;
  }

  private remoteKeySet(url: string): JWTVerifyGetKey {
    let keys = this.remoteKeys.get(url);
    if (!keys) {
      // jose caches the set and refetches it (at most every 30 s) when a token names a key it does not have
      keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
      this.remoteKeys.set(url, keys);
    }
    return keys;
  }
}

/** The caller of an Authorization header: none is anonymous; anything but a valid bearer token is UNAUTHENTICATED. */
export async function callerOf(authorization: string | undefined, verifier: BearerVerifier): Promise<Caller> {
  if (authorization === undefined) return { kind: 'anonymous' };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"', 401);
  return verifier.verify(match[1]);
}

/**
 * A bearer token, once verified, is trusted again for at most this long without checking its signature (and never
 * past its own exp): a caller sends the same token with every request, and the check was a tenth of the gateway's
 * CPU per request, and the signature check about 2% of each subgraph's per POS sale.
 */
const TRUST_VERIFIED_BEARER_MS = 60_000;
const MAX_VERIFIED_BEARERS = 10_000;

/** callerOf with a memory of the Authorization headers that verified (VerifiedHeaders). */
export class VerifiedBearers {
  private readonly verified = new VerifiedHeaders<Caller>(MAX_VERIFIED_BEARERS);

  constructor(
    private readonly verifier: BearerVerifier,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async callerOf(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined) return { kind: 'anonymous' };
    const header = authorization.trim();
    const now = this.now();
    const known = this.verified.known(header, now);
    if (known) return known;
    const caller = await callerOf(header, this.verifier);
    // callerOf accepted "Bearer <token>" with an exp (the verifier requires one)
    const exp = decodeJwt(header.slice(header.search(/\s/)).trim()).exp!;
    this.verified.remember(header, caller, Math.min(exp * 1000, now + TRUST_VERIFIED_BEARER_MS));
    return caller;
  }
}

function callerOfClaims(kind: Kind, payload: JWTPayload): Caller {
  const missing = () => new UnauthenticatedError('Token is missing required claims', 401);
  if (kind === 'customer') {
    const claims = customerClaims.safeParse(payload);
    if (!claims.success) throw missing();
    return { kind: 'customer', memberId: claims.data.sub };
  }
  if (kind === 'staff') {
    const claims = staffClaims.safeParse(payload);
    if (!claims.success) throw missing();
    return { kind: 'staff', staffId: claims.data.sub, role: claims.data.role };
  }
  const claims = posClaims.safeParse(payload);
  if (!claims.success) throw missing();
  return { kind: 'pos', keyId: claims.data.sub, storeIds: claims.data.stores };
}

/** The customers' and staff's issuers as configured. */
export function userIssuers(config: AppConfig): Record<'customer' | 'staff', IssuerSpec> {
  const spec = (issuer: string, audience: string, jwksUrl: string | undefined, secret: string | undefined): IssuerSpec => ({
    issuer,
    audience,
    keys: jwksUrl ? { jwksUrl: () => jwksUrl } : { secret: secret! },
    maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
  });
  return {
    customer: spec(config.CUSTOMER_JWT_ISSUER, config.CUSTOMER_JWT_AUDIENCE, config.CUSTOMER_JWKS_URL, config.CUSTOMER_JWT_SECRET),
    staff: spec(config.STAFF_JWT_ISSUER, config.STAFF_JWT_AUDIENCE, config.STAFF_JWKS_URL, config.STAFF_JWT_SECRET),
  };
}

/** The issuer of POS tokens: the members service, whose public keys are at `membersBaseUrl()` + POS_JWKS_PATH. */
export function posIssuer(config: AppConfig, membersBaseUrl: () => string): IssuerSpec {
  return {
    issuer: POS_TOKEN_ISSUER,
    audience: POS_TOKEN_AUDIENCE,
    keys: { jwksUrl: () => `${membersBaseUrl()}${POS_JWKS_PATH}` },
    maxLifetimeSeconds: config.POS_TOKEN_TTL_SECONDS,
  };
}

/** Every issuer a subgraph or gateway accepts. */
export function bearerVerifierFor(config: AppConfig, membersBaseUrl: () => string): BearerVerifier {
  return new BearerVerifier({ ...userIssuers(config), pos: posIssuer(config, membersBaseUrl) });
}

/** A key a development issuer signs with: its HS256 secret, or an ES256 private key published in its JWKS under `kid`. */
export interface SigningKey {
  key: KeyObject;
  algorithm: 'ES256' | 'HS256';
  kid?: string;
}

/**
 * A customer or staff token signed with the issuer's shared HS256 secret, as a development identity provider
 * would: for tests and `npm run token` (production issuers sign with their own keys, which we never hold).
 */
export function signUserToken(
  claims: { sub: string; role: 'CUSTOMER' | 'STAFF' | 'ADMIN' },
  config: AppConfig,
  options: { expiresInSeconds?: number; notBeforeSeconds?: number; signingKey?: SigningKey } = {},
): string {
  const customer = claims.role === 'CUSTOMER';
  const secret = customer ? config.CUSTOMER_JWT_SECRET : config.STAFF_JWT_SECRET;
  const signing: SigningKey | undefined = options.signingKey ?? (secret ? { key: hmacKey(secret), algorithm: 'HS256' } : undefined);
  if (!signing) throw new Error(`No ${customer ? 'CUSTOMER' : 'STAFF'}_JWT_SECRET to sign a development token with`);
  const payload = customer ? { sub: claims.sub } : { sub: claims.sub, role: claims.role };
  return jwt.sign(payload, signing.key, {
    algorithm: signing.algorithm,
    issuer: customer ? config.CUSTOMER_JWT_ISSUER : config.STAFF_JWT_ISSUER,
    audience: customer ? config.CUSTOMER_JWT_AUDIENCE : config.STAFF_JWT_AUDIENCE,
    expiresIn: options.expiresInSeconds ?? Math.min(12 * 60 * 60, config.JWT_MAX_LIFETIME_SECONDS),
    ...(options.notBeforeSeconds !== undefined ? { notBefore: options.notBeforeSeconds } : {}),
    ...(signing.kid ? { keyid: signing.kid } : {}),
  });
}
