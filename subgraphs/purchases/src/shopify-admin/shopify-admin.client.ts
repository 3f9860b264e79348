import type { AppConfig } from '@omo/lib/core/config';
import { countedFetch } from '@omo/lib/observability/external-calls';

/** What one Admin GraphQL call came to. */
export type AdminResult<T> =
  | { kind: 'ok'; data: T }
  /** Throttled (HTTP 429, the cost throttle), failing (5xx), unreachable or slow, or the token refused: ask again later. */
  | { kind: 'retry'; retryAfterMs: number; reason: string }
  /** Shopify cannot run the call as sent (a top-level GraphQL error): asking again the same way cannot change it. */
  | { kind: 'refused'; reason: string };

export interface AdminShop {
  domain: string;
  accessToken: string;
}

/** When Shopify gives no delay: a 5xx or a timeout is usually over within this. */
const DEFAULT_RETRY_MS = 5_000;
/** A token Shopify refuses needs an admin to set a new one (updateStore): asking every few seconds would only be noise. */
const BAD_TOKEN_RETRY_MS = 10 * 60_000;
/** A call with less time than this before its deadline is not started: it would be cut off, its outcome unknown. */
const MIN_CALL_MS = 1_000;

interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message?: string; extensions?: { code?: string } }[] | string;
  extensions?: { cost?: { requestedQueryCost?: number; throttleStatus?: ThrottleStatus } };
}

/**
 * The Shopify Admin GraphQL API (POST https://<shop>/admin/api/<version>/graphql.json, X-Shopify-Access-Token). It
 * turns Shopify's ways of saying "not now" into one retry with a delay: HTTP 429 with Retry-After (seconds); the
 * cost throttle, HTTP 200 with an error whose extensions.code is THROTTLED and extensions.cost saying how many
 * points the query needs and how fast they come back; 5xx; a timeout. Shopify's userErrors are data, for the
 * caller to read.
 */
export class ShopifyAdminClient {
  constructor(private readonly config: Pick<AppConfig, 'SHOPIFY_ADMIN_API_VERSION' | 'SHOPIFY_ADMIN_BASE_URL' | 'SHOPIFY_ADMIN_TIMEOUT_MS'>) {}

  /**
   * `deadline` (performance.now() time, as the timeouts are real time, not the clock's): the call is over by then,
   * or, with too little time left, not started.
   */
  async request<T>(shop: AdminShop, query: string, variables: Record<string, unknown>, options: { deadline?: number } = {}): Promise<AdminResult<T>> {
    const base = this.config.SHOPIFY_ADMIN_BASE_URL?.replace(/\/$/, '') ?? `https://${shop.domain}`;
    const left = options.deadline === undefined ? Infinity : options.deadline - performance.now();
    if (left < MIN_CALL_MS) return { kind: 'retry', retryAfterMs: DEFAULT_RETRY_MS, reason: `${shop.domain}: no time left for the call before the caller gives up` };
    let response: Response;
    try {
      response = await countedFetch('shopify', () =>
        fetch(`${base}/admin/api/${this.config.SHOPIFY_ADMIN_API_VERSION}/graphql.json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-shopify-access-token': shop.accessToken },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(Math.floor(Math.min(this.config.SHOPIFY_ADMIN_TIMEOUT_MS, left))),
        }),
      );
    } catch (error) {
      return { kind: 'retry', retryAfterMs: DEFAULT_RETRY_MS, reason: `${shop.domain} did not answer: ${(error as Error).message}` };
    }
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after'));
      return { kind: 'retry', retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : DEFAULT_RETRY_MS, reason: `${shop.domain} answered HTTP 429` };
    }
    if (response.status === 401 || response.status === 403) {
      return { kind: 'retry', retryAfterMs: BAD_TOKEN_RETRY_MS, reason: `${shop.domain} refused the store's Shopify access token (HTTP ${response.status}): an admin must set a valid one` };
    }
    if (!response.ok) return { kind: 'retry', retryAfterMs: DEFAULT_RETRY_MS, reason: `${shop.domain} answered HTTP ${response.status}` };
    const body = (await response.json().catch(() => ({}))) as GraphQLBody<T>;
    const errors = typeof body.errors === 'string' ? [{ message: body.errors }] : (body.errors ?? []);
    if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
      return { kind: 'retry', retryAfterMs: throttleDelayMs(body.extensions?.cost), reason: `${shop.domain} throttled the call (query cost)` };
    }
    const messages = `${shop.domain}: ${errors.map((e) => e.message ?? 'error').join('; ') || 'no data'}`;
    if (errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) return { kind: 'retry', retryAfterMs: DEFAULT_RETRY_MS, reason: messages };
    // the app lacks a scope (write_discounts): like a bad token, fixed by an admin, not by the request
    if (errors.some((e) => e.extensions?.code === 'ACCESS_DENIED')) return { kind: 'retry', retryAfterMs: BAD_TOKEN_RETRY_MS, reason: messages };
    if (errors.length > 0 || !body.data) return { kind: 'refused', reason: messages };
    return { kind: 'ok', data: body.data };
  }
}

/** How long until the bucket holds the points the query asked for, at its restore rate (points per second). */
function throttleDelayMs(cost: { requestedQueryCost?: number; throttleStatus?: ThrottleStatus } | undefined): number {
  const status = cost?.throttleStatus;
  if (!status || !cost?.requestedQueryCost || status.restoreRate <= 0) return 1_000;
  const missing = Math.max(0, cost.requestedQueryCost - status.currentlyAvailable);
  return Math.max(1_000, Math.ceil((missing / status.restoreRate) * 1000));
}
