import type { z } from 'zod';
import type { AppConfig } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import { countedFetch } from '@omo/lib/observability/external-calls';
import {
  SmaregiRefusedError, SmaregiUnavailableError, type NewSmaregiCustomer, type SmaregiApi, type SmaregiCustomer, type SmaregiTransaction,
} from '../smaregi-api';
import { failureOf } from './smaregi-answers';
import { bulkResponseSchema, customerListSchema, customerPointListSchema, customerSchema, transactionSchema } from './smaregi-schemas';
import { SmaregiThrottle, type SmaregiLimits } from './smaregi-throttle';
import { SmaregiTokens } from './smaregi-tokens';

type ClientConfig = Pick<AppConfig, 'SMAREGI_ENV' | 'SMAREGI_CLIENT_ID' | 'SMAREGI_CLIENT_SECRET' | 'SMAREGI_ID_BASE_URL' | 'SMAREGI_API_BASE_URL' | 'SMAREGI_TIMEOUT_MS'>;

/** The most customers one bulk point update may carry (the reference: 100). */
export const MAX_BULK_POINTS = 100;
/** How far ahead the pointExpireDate sent to Smaregi is (see pointExpireDate). */
export const POINT_EXPIRY_YEARS = 10;
const JST_OFFSET_MS = 9 * 3_600_000;

interface Call {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/**
 * The Smaregi Platform API over HTTP (docs/smaregi-setup.md §1): `https://api.smaregi.{dev,jp}/{contractId}/pos/...`
 * with an app access token per contract (smaregi-tokens.ts), each contract's calls paced under Smaregi's per-second
 * limits (smaregi-throttle.ts). A 401 renews the token once and the call is sent once more. What Smaregi cannot
 * answer now (429, 5xx, a timeout, the network) is a SmaregiUnavailableError carrying Retry-After; any other 4xx a
 * SmaregiRefusedError with the problem's `detail`; a GET of something that is not there is null. Tokens and the app's
 * secret are never logged nor put in an error's message.
 */
export class SmaregiClient implements SmaregiApi {
  private readonly apiBase: string;
  private readonly tokens: SmaregiTokens;
  private readonly throttle: SmaregiThrottle;

  constructor(
    private readonly config: ClientConfig,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    options: { limits?: SmaregiLimits } = {},
  ) {
    const host = config.SMAREGI_ENV === 'production' ? 'jp' : 'dev';
    this.apiBase = (config.SMAREGI_API_BASE_URL ?? `https://api.smaregi.${host}`).replace(/\/$/, '');
    this.throttle = new SmaregiThrottle(options.limits ?? SmaregiThrottle.documented(config.SMAREGI_ENV));
    this.tokens = new SmaregiTokens(config, clock, (contractId, init, url) => this.send(contractId, 'POST', url, init));
  }

  async getTransaction(contractId: string, transactionHeadId: string): Promise<SmaregiTransaction | null> {
    const found = await this.call(contractId, { method: 'GET', path: `/transactions/${encodeURIComponent(transactionHeadId)}`, query: { with_details: 'all' } });
    return found === null ? null : parse<SmaregiTransaction>(transactionSchema, found, contractId, 'transaction');
  }

  async getCustomer(contractId: string, customerId: string): Promise<SmaregiCustomer | null> {
    const found = await this.call(contractId, { method: 'GET', path: `/customers/${encodeURIComponent(customerId)}` });
    return found === null ? null : parse<SmaregiCustomer>(customerSchema, found, contractId, 'customer');
  }

  async findCustomerByCode(contractId: string, customerCode: string): Promise<SmaregiCustomer | null> {
    const found = await this.call(contractId, { method: 'GET', path: '/customers', query: { customer_code: customerCode, limit: '10' } });
    const list = found === null ? [] : parse<SmaregiCustomer[]>(customerListSchema, found, contractId, 'customer list');
    // customer_code is an exact filter in the reference; checked again so a looser match can never pick another customer
    return list.find((c) => c.customerCode === customerCode) ?? null;
  }

  async createCustomer(contractId: string, customer: NewSmaregiCustomer): Promise<SmaregiCustomer> {
    const created = await this.call(contractId, { method: 'POST', path: '/customers', body: customer });
    return parse<SmaregiCustomer>(customerSchema, created, contractId, 'created customer');
  }

  async getCustomerPoint(contractId: string, customerId: string): Promise<number | null> {
    const found = await this.call(contractId, { method: 'GET', path: '/customers/point', query: { customer_id: customerId, limit: '1' } });
    const rows = found === null ? [] : parse<{ customerId: string; point: string }[]>(customerPointListSchema, found, contractId, 'customer points');
    const row = rows.find((r) => r.customerId === customerId);
    return row ? Number(row.point) : null;
  }

  async setCustomerPoint(contractId: string, customerId: string, point: number): Promise<void> {
    if (!Number.isSafeInteger(point) || point < 0) throw new RangeError(`a Smaregi point field is a whole number ≥ 0, not ${point}`);
    await this.call(contractId, { method: 'PATCH', path: `/customers/${encodeURIComponent(customerId)}/point`, body: { point: String(point), pointExpireDate: this.pointExpireDate() } });
  }

  async setCustomerPointsBulk(contractId: string, points: { customerId: string; point: number }[], callbackUrl: string): Promise<{ requestId: string }> {
    if (points.length === 0 || points.length > MAX_BULK_POINTS) throw new RangeError(`a bulk point update carries 1 to ${MAX_BULK_POINTS} customers, not ${points.length}`);
    for (const p of points) if (!Number.isSafeInteger(p.point) || p.point < 0) throw new RangeError(`a Smaregi point field is a whole number ≥ 0, not ${p.point}`);
    const pointExpireDate = this.pointExpireDate();
    const body = { customerPoints: points.map((p) => ({ customerId: p.customerId, point: String(p.point), pointExpireDate })), callbackUrl };
    const answer = await this.call(contractId, { method: 'PATCH', path: '/customers/point/bulk', body });
    return { requestId: parse<{ requestId: string }>(bulkResponseSchema, answer, contractId, 'bulk point update').requestId };
  }

  /**
   * The pointExpireDate sent with every absolute update: Smaregi forfeits a customer's points once it passes and an
   * update without it leaves the old one, while our own lots expire on our side (points' expiry moves the balance,
   * which is mirrored). So a date that never comes first: today in Japan plus POINT_EXPIRY_YEARS.
   */
  private pointExpireDate(): string {
    const japan = new Date(this.clock().getTime() + JST_OFFSET_MS);
    japan.setUTCFullYear(japan.getUTCFullYear() + POINT_EXPIRY_YEARS);
    return japan.toISOString().slice(0, 10);
  }

  /** One API call: its answer's JSON, or null for a GET Smaregi answers 404. */
  private async call(contractId: string, call: Call): Promise<unknown> {
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const url = `${this.apiBase}/${encodeURIComponent(contractId)}/pos${call.path}${query}`;
    const init = (token: string): RequestInit => ({
      method: call.method,
      headers: { authorization: `Bearer ${token}`, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    const token = await this.tokens.get(contractId);
    let response = await this.send(contractId, call.method, url, init(token));
    if (response.status === 401) {
      // the token expired early or was revoked: one fresh token, one more try; a second 401 is not the token's age
      await response.body?.cancel();
      const fresh = await this.tokens.get(contractId, token);
      response = await this.send(contractId, call.method, url, init(fresh));
    }
    const what = `Smaregi ${call.method} ${call.path.replace(/\/\d+/g, '/{id}')} (${contractId})`;
    if (response.status === 404 && call.method === 'GET') return null;
    if (response.ok) return response.json().catch(() => {
      throw new SmaregiUnavailableError(`${what}: the answer was not JSON`, response.status, null);
    });
    throw await failureOf(response, what, this.clock());
  }

  /** An HTTP request paced by the contract's throttle and cut off after SMAREGI_TIMEOUT_MS; no answer is unavailability. */
  private async send(contractId: string, method: string, url: string, init: RequestInit): Promise<Response> {
    await this.throttle.take(contractId, method);
    try {
      return await countedFetch('smaregi', () => fetch(url, { ...init, signal: AbortSignal.timeout(this.config.SMAREGI_TIMEOUT_MS) }));
    } catch (error) {
      // fetch's timeout is a DOMException, which is no `instanceof Error` across realms (jest's, for one): read its name
      const name = (error as { name?: unknown } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const reason = timedOut ? `no answer within ${this.config.SMAREGI_TIMEOUT_MS} ms` : 'unreachable';
      this.logger.warn({ contractId, method, reason }, 'Smaregi did not answer');
      throw new SmaregiUnavailableError(`Smaregi ${method} (${contractId}): ${reason}`, null, null);
    }
  }
}

/** An answer read by its schema; one that does not fit is refused (asking again gets the same answer), naming the field. */
function parse<T>(schema: z.ZodType, value: unknown, contractId: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as T;
  const issue = parsed.error.issues[0];
  const detail = `${issue?.path.join('.') || what}: ${issue?.message ?? 'unexpected'}`;
  throw new SmaregiRefusedError(`Smaregi's ${what} (${contractId}) is not what the reference describes: ${detail}`, 200, detail);
}
