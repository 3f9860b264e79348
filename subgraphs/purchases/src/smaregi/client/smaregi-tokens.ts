import type { AppConfig } from '@omo/lib/core/config';
import { SmaregiRefusedError, SmaregiUnavailableError } from '../smaregi-api';
import { tokenResponseSchema } from './smaregi-schemas';
import { failureOf } from './smaregi-answers';

type TokenConfig = Pick<AppConfig, 'SMAREGI_ENV' | 'SMAREGI_CLIENT_ID' | 'SMAREGI_CLIENT_SECRET' | 'SMAREGI_ID_BASE_URL'>;

/** What the connector reads and writes (docs/smaregi-setup.md §1): sales, customers and their points. */
export const SMAREGI_SCOPES = ['pos.transactions:read', 'pos.customers:read', 'pos.customers:write'];

/** A token is renewed this long before Smaregi says it expires, so no call leaves with one about to lapse. */
const RENEW_MARGIN_MS = 60_000;

interface CachedToken {
  accessToken: string;
  renewAt: number;
}

/**
 * App access tokens by client credentials, one per contract (`POST https://id.smaregi.{dev,jp}/app/{contractId}/token`,
 * Basic client id:secret): cached until shortly before `expires_in`, and fetched once at a time per contract, so
 * callers arriving together, or renewing together after one 401, share one request.
 */
export class SmaregiTokens {
  private readonly idBase: string;
  private readonly cached = new Map<string, CachedToken>();
  private readonly fetching = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly config: TokenConfig,
    private readonly clock: () => Date,
    private readonly send: (contractId: string, init: RequestInit, url: string) => Promise<Response>,
  ) {
    this.idBase = (config.SMAREGI_ID_BASE_URL ?? `https://id.smaregi.${config.SMAREGI_ENV === 'production' ? 'jp' : 'dev'}`).replace(/\/$/, '');
  }

  /** A token for the contract; `rejected`: the one Smaregi just answered 401 to, which is not handed out again. */
  async get(contractId: string, rejected?: string): Promise<string> {
    const cached = this.cached.get(contractId);
    if (cached && cached.accessToken !== rejected && cached.renewAt > this.clock().getTime()) return cached.accessToken;
    let pending = this.fetching.get(contractId);
    if (!pending) {
      pending = this.fetch(contractId).finally(() => this.fetching.delete(contractId));
      this.fetching.set(contractId, pending);
    }
    return (await pending).accessToken;
  }

  private async fetch(contractId: string): Promise<CachedToken> {
    const { SMAREGI_CLIENT_ID: id, SMAREGI_CLIENT_SECRET: secret } = this.config;
    if (!id || !secret) throw new SmaregiRefusedError('SMAREGI_CLIENT_ID and SMAREGI_CLIENT_SECRET are not set', 401, null, true);
    const what = `Smaregi token (${contractId})`;
    const response = await this.send(contractId, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: SMAREGI_SCOPES.join(' ') }).toString(),
    }, `${this.idBase}/app/${encodeURIComponent(contractId)}/token`);
    if (!response.ok) throw await failureOf(response, what, this.clock(), { tokenEndpoint: true });
    const parsed = tokenResponseSchema.safeParse(await response.json().catch(() => null));
    if (!parsed.success) throw new SmaregiUnavailableError(`${what}: the answer carries no token`, response.status, null);
    const lifetimeMs = parsed.data.expires_in * 1000;
    // a short-lived token is kept for the later half of its life at most, never for a negative time
    const renewAt = this.clock().getTime() + Math.max(lifetimeMs - RENEW_MARGIN_MS, lifetimeMs / 2);
    const token = { accessToken: parsed.data.access_token, renewAt };
    this.cached.set(contractId, token);
    return token;
  }
}
