import { signIdentity, verifyUserToken, type Caller } from '@omo/lib/auth';
import { UnauthenticatedError } from '@omo/lib/errors';

const MAX_CACHED_KEYS = 10_000;
const VERIFY_TIMEOUT_MS = 3_000;
/** Real keys are 64 characters; anything much longer is refused here rather than cached or sent to members. */
const MAX_API_KEY_LENGTH = 256;

/**
 * Establishes who is calling: a customer or staff bearer token (verified here), a POS key (verified by the members
 * service, which owns the keys; answers cached briefly), or nobody.
 */
export class GatewayAuthenticator {
  private readonly keyCache = new Map<string, { caller: Caller | null; expiresAt: number }>();

  constructor(
    private readonly options: {
      jwtSecret: string;
      internalSecret: string;
      membersBaseUrl: string;
      keyCacheSeconds: number;
      now?: () => number;
    },
  ) {}

  async authenticate(headers: { authorization?: string; apiKey?: string }): Promise<Caller> {
    if (headers.authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization.trim());
      if (!match?.[1]) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"', 401);
      return verifyUserToken(match[1], this.options.jwtSecret, 401);
    }
    if (headers.apiKey !== undefined) {
      const caller = await this.verifyApiKey(headers.apiKey.trim());
      if (!caller) throw new UnauthenticatedError('Invalid API key', 401);
      return caller;
    }
    return { kind: 'anonymous' };
  }

  private async verifyApiKey(key: string): Promise<Caller | null> {
    if (key.length > MAX_API_KEY_LENGTH) return null;
    const now = this.options.now?.() ?? Date.now();
    const cached = this.keyCache.get(key);
    if (cached && cached.expiresAt > now) return cached.caller;
    const caller = await this.askMembers(key);
    if (this.keyCache.size >= MAX_CACHED_KEYS) this.keyCache.clear();
    this.keyCache.set(key, { caller, expiresAt: now + this.options.keyCacheSeconds * 1000 });
    return caller;
  }

  private async askMembers(key: string): Promise<Caller | null> {
    const response = await fetch(`${this.options.membersBaseUrl}/internal/api-keys/verify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-omo-identity': signIdentity({ kind: 'service', service: 'gateway' }, this.options.internalSecret),
      },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
    });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`API key verification failed with HTTP ${response.status}`);
    const body = (await response.json()) as { keyId: string; storeIds: string[] };
    return { kind: 'pos', keyId: body.keyId, storeIds: body.storeIds };
  }
}
