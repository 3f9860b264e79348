import { createHash, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { ForbiddenError, UnauthenticatedError } from '@omo/lib/core/errors';

/** Who is calling, as established from the caller's bearer token (or a service's identity). */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'customer'; memberId: string }
  | { kind: 'staff'; staffId: string; role: 'STAFF' | 'ADMIN' }
  | { kind: 'pos'; keyId: string; storeIds: string[] }
  | { kind: 'service'; service: string };

export type ServiceCaller = Extract<Caller, { kind: 'service' }>;

/** The caller as it is written into audit fields (`actor`) of ledger entries, purchases and rule changes. */
export function actorOf(caller: Caller): string {
  switch (caller.kind) {
    case 'staff':
      return `staff:${caller.staffId}`;
    case 'pos':
      return `pos:${caller.keyId}`;
    case 'customer':
      return `customer:${caller.memberId}`;
    case 'service':
      return caller.service === 'system' ? 'system' : `service:${caller.service}`;
    default:
      return 'anonymous';
  }
}

/** The bearer token as the caller sent it: subgraphs verify it themselves, so any gateway may simply pass it on. */
export const AUTHORIZATION_HEADER = 'authorization';
/** The static credential a gateway adds to every subgraph request (GATEWAY_SECRET). */
export const GATEWAY_CREDENTIAL_HEADER = 'x-omo-gateway';
/** A POS key, sent by a register that does not exchange it for a token itself (the gateway does it then). */
export const API_KEY_HEADER = 'x-api-key';
/** A service's identity on another service's internal routes. */
export const SERVICE_IDENTITY_HEADER = 'x-omo-identity';
export const REQUEST_ID_HEADER = 'x-request-id';
const SERVICE_IDENTITY_TTL_SECONDS = 60;
/** How far a receiver's clock may run ahead of the signer's before an identity still in its life is refused. */
const SERVICE_IDENTITY_CLOCK_TOLERANCE_SECONDS = 5;

const hmacKeys = new Map<string, KeyObject>();

/**
 * The HMAC key of a secret, made once. Given the string, jsonwebtoken first tries to parse it as a PEM private or
 * public key and builds the secret key only when that throws, on every sign and verify: 8% of the CPU of a
 * 200-purchase test run went to those failed parses (about 1.5 s).
 */
export function hmacKey(secret: string): KeyObject {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret));
    hmacKeys.set(secret, key);
  }
  return key;
}

/** The audience of a service identity: the one service it is meant for. */
function serviceAudience(target: string): string {
  return `omo-service:${target}`;
}

/** Signs `service`'s identity for one call to `target`'s internal routes. Short-lived, HMAC with INTERNAL_SECRET. */
export function signServiceIdentity(service: string, target: string, internalSecret: string): string {
  return jwt.sign({}, hmacKey(internalSecret), {
    algorithm: 'HS256',
    audience: serviceAudience(target),
    issuer: 'omo-services',
    subject: service,
    expiresIn: SERVICE_IDENTITY_TTL_SECONDS,
  });
}

/**
 * Verifies a service identity on `self`'s internal routes: one signed for another service is refused, so an identity
 * seen by one service cannot be replayed against another. Anything missing, forged or expired is UNAUTHENTICATED.
 */
export function verifyServiceIdentity(header: string | undefined, internalSecret: string, self: string): ServiceCaller {
  if (!header) throw new UnauthenticatedError('Missing service credential', 401);
  try {
    const payload = jwt.verify(header, hmacKey(internalSecret), {
      algorithms: ['HS256'],
      audience: serviceAudience(self),
      issuer: 'omo-services',
      // an identity signed without exp would never expire
      maxAge: SERVICE_IDENTITY_TTL_SECONDS,
      clockTolerance: SERVICE_IDENTITY_CLOCK_TOLERANCE_SECONDS,
    });
    const service = typeof payload === 'object' ? payload.sub : undefined;
    if (service) return { kind: 'service', service };
  } catch {
    // fall through: the reason (expired, bad signature, another audience) is not the caller's business
  }
  throw new UnauthenticatedError('Invalid service credential', 401);
}

/**
 * `service`'s identity for calls to `target`, signed again once it has lived half its TTL: each call signing its
 * own was about 1.3% of the purchases service's CPU per sale, and an identity arrives with at least 30 s to live.
 */
export function serviceIdentitySigner(service: string, target: string, internalSecret: string, now: () => number = () => Date.now()): () => string {
  let held: { identity: string; renewAt: number } | undefined;
  return () => {
    const at = now();
    if (!held || held.renewAt <= at) {
      held = { identity: signServiceIdentity(service, target, internalSecret), renewAt: at + (SERVICE_IDENTITY_TTL_SECONDS * 1000) / 2 };
    }
    return held.identity;
  };
}

/**
 * Tokens that verified, by their whole header (signature included: a caller is only ever answered with what their
 * own token says), each trusted until its own bound; a header not here, or past its bound, is checked again.
 */
export class VerifiedHeaders<T> {
  private readonly verified: LRUCache<string, { caller: T; trustUntil: number }>;

  constructor(max: number) {
    this.verified = new LRUCache({ max });
  }

  /** The caller of a header that verified and is still trusted at `now`. */
  known(header: string | undefined, now: number): T | undefined {
    const entry = header === undefined ? undefined : this.verified.get(header);
    return entry && entry.trustUntil > now ? entry.caller : undefined;
  }

  remember(header: string, caller: T, trustUntil: number): void {
    this.verified.set(header, { caller, trustUntil });
  }
}

const MAX_VERIFIED_IDENTITIES = 1_000;

/**
 * verifyServiceIdentity for one service's routes, remembering the identities that verified until their exp and the
 * clock tolerance (what the check itself would allow); one that did not is checked each time.
 */
export function serviceIdentityVerifier(internalSecret: string, self: string, now: () => number = () => Date.now()): (header: string | undefined) => ServiceCaller {
  const verified = new VerifiedHeaders<ServiceCaller>(MAX_VERIFIED_IDENTITIES);
  return (header) => {
    const known = verified.known(header, now());
    if (known) return known;
    const caller = verifyServiceIdentity(header, internalSecret, self);
    // verified, so the header is a token with an exp (signServiceIdentity always sets one)
    const { exp } = jwt.decode(header!, { json: true })!;
    verified.remember(header!, caller, (exp! + SERVICE_IDENTITY_CLOCK_TOLERANCE_SECONDS) * 1000);
    return caller;
  };
}

/**
 * Compares a presented secret with the expected one in constant time (digests first: timingSafeEqual needs equal
 * lengths); an empty expected value matches nothing, after the same comparison.
 */
export function sameSecret(expected: string, given: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(given)) && expected !== '';
}

/** The subgraph side of the gateway credential: missing or wrong is UNAUTHENTICATED (HTTP 401). */
export function checkGatewayCredential(header: string | undefined, gatewaySecret: string): void {
  if (!header) throw new UnauthenticatedError('Missing gateway credential', 401);
  if (!sameSecret(gatewaySecret, header)) throw new UnauthenticatedError('Invalid gateway credential', 401);
}

/** Any authenticated caller; anonymous gets UNAUTHENTICATED. */
export function requireAuthenticated(caller: Caller): Exclude<Caller, { kind: 'anonymous' }> {
  if (caller.kind === 'anonymous') throw new UnauthenticatedError();
  return caller;
}

export function requireStaff(caller: Caller): Extract<Caller, { kind: 'staff' }> {
  const authenticated = requireAuthenticated(caller);
  if (authenticated.kind !== 'staff') throw new ForbiddenError('Staff only');
  return authenticated;
}

/** Staff with the ADMIN role: the people who change the program's rules, stores, keys and identities. */
export function requireAdmin(caller: Caller): Extract<Caller, { kind: 'staff' }> {
  const staff = requireStaff(caller);
  if (staff.role !== 'ADMIN') throw new ForbiddenError('Administrators only');
  return staff;
}

/** Whether the caller may read this member's data: the member themself, staff, POS keys and services. */
export function assertCanReadMember(caller: Caller, memberId: string): void {
  const authenticated = requireAuthenticated(caller);
  if (authenticated.kind === 'customer' && authenticated.memberId !== memberId) {
    throw new ForbiddenError('A customer can only see their own membership');
  }
}
