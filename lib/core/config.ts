import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isLoopbackHostname } from './loopback';

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(32, 'must be at least 32 characters');
const httpUrl = z.url({ protocol: /^https?$/ });

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI').optional(),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('omo'),
  /**
   * Customers' tokens come from the retailer's identity provider (the EC site's login), staff tokens from another
   * issuer with another key: each is verified against its own issuer, audience and key (a JWKS URL, RS256/ES256;
   * or, outside production, a shared HS256 secret).
   */
  CUSTOMER_JWT_ISSUER: z.string().min(1).default('omo-dev-customers'),
  CUSTOMER_JWT_AUDIENCE: z.string().min(1).default('omo-loyalty'),
  CUSTOMER_JWKS_URL: httpUrl.optional(),
  CUSTOMER_JWT_SECRET: secret.optional(),
  STAFF_JWT_ISSUER: z.string().min(1).default('omo-dev-staff'),
  STAFF_JWT_AUDIENCE: z.string().min(1).default('omo-loyalty-staff'),
  STAFF_JWKS_URL: httpUrl.optional(),
  STAFF_JWT_SECRET: secret.optional(),
  /**
   * The staff console's sign-in (docs/console.md): the staff identity provider's OpenID Connect issuer (discovery
   * at <issuer>/.well-known/openid-configuration) and the console's client there. Staff sign in with the
   * authorization code flow and PKCE; the gateway exchanges the code and hands the console the access token, which
   * must be a staff token as above (STAFF_JWT_ISSUER, STAFF_JWT_AUDIENCE, a role claim). Unset: no such sign-in.
   */
  STAFF_OIDC_ISSUER: httpUrl.optional(),
  STAFF_OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** For a confidential client only (client_secret_basic at the token endpoint); a public client sends none. */
  STAFF_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** What the console asks for; add the scope that puts the role claim and the API audience in the access token. */
  STAFF_OIDC_SCOPE: z.string().min(1).default('openid'),
  /** The longest lifetime (exp - iat) a customer or staff token may claim. */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().positive().default(24 * 60 * 60),
  /** POS keys are exchanged for store-scoped tokens signed by the members service with this key (a private JWK, ES256). */
  POS_TOKEN_SIGNING_KEY: z.string().min(1).optional(),
  POS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  /** The credential every gateway adds to its subgraph requests (a static header, as Apollo Router and Hive Gateway can add). */
  GATEWAY_SECRET: secret,
  /** Service-to-service identities (internal routes), each signed for the one service it is meant for. */
  INTERNAL_SECRET: secret,
  GATEWAY_PORT: port.default(4000),
  MEMBERS_PORT: port.default(4001),
  POINTS_PORT: port.default(4002),
  PURCHASES_PORT: port.default(4003),
  LINE_PORT: port.default(4004),
  /** `npm start`'s development token issuer (its JWKS), when no issuer is configured. */
  DEV_ISSUER_PORT: port.default(4005),
  MEMBERS_URL: httpUrl.default('http://127.0.0.1:4001/graphql'),
  POINTS_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  PURCHASES_URL: httpUrl.default('http://127.0.0.1:4003/graphql'),
  LINE_URL: httpUrl.default('http://127.0.0.1:4004/graphql'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(httpUrl)),
  /**
   * How long the gateway waits for a subgraph's answer before it answers SERVICE_UNAVAILABLE in its place: above the
   * longest a subgraph may take on purpose (a sale waits up to 10 s on its settlement call).
   */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(10),
  MAX_QUERY_COST: z.coerce.number().int().positive().default(2000),
  MAX_QUERY_TOKENS: z.coerce.number().int().positive().default(5000),
  /** How long a subgraph trusts what members said of a customer (withdrawn, merged into another member). */
  CUSTOMER_STATUS_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
  /** Requests per minute for each caller at the gateway: each POS key, customer, staff member and anonymous address. */
  RATE_LIMIT_POS_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  RATE_LIMIT_CUSTOMER_PER_MINUTE: z.coerce.number().int().positive().default(120),
  RATE_LIMIT_STAFF_PER_MINUTE: z.coerce.number().int().positive().default(600),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** Express's `trust proxy` for the gateway, so the anonymous limit sees the client's address behind a load balancer. */
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value))
    .refine((value) => value !== 'true', 'true would trust any X-Forwarded-For a client sends: give the number of proxies, or their addresses'),
  /** The largest points adjustment (either sign) a STAFF member may make; ADMIN has no such limit. */
  STAFF_MAX_POINTS_ADJUSTMENT: z.coerce.number().int().positive().default(10_000),
  /** How far back a POS key may date a purchase (an offline register catching up); older ones are staff's. */
  POS_MAX_BACKDATE_HOURS: z.coerce.number().int().min(0).max(8760).default(72),
  /** The days a guest purchase's receipt code can be claimed for points after the purchase (docs/receipt-claims.md). */
  RECEIPT_CLAIM_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Receipt claims a member may make a Japanese calendar day (docs/receipt-claims.md). */
  RECEIPT_CLAIMS_PER_DAY: z.coerce.number().int().min(1).max(100).default(5),
  /** "Use N points" at the online checkout: the points one code may take, and the hours it is valid unused. */
  CHECKOUT_CODE_MIN_POINTS: z.coerce.number().int().min(1).default(100),
  CHECKOUT_CODE_MAX_POINTS: z.coerce.number().int().min(1).max(1_000_000).default(50_000),
  CHECKOUT_CODE_VALIDITY_HOURS: z.coerce.number().int().min(1).max(8760).default(24),
  /** The largest response (its JSON, in bytes) the gateway sends; a larger one is replaced by RESPONSE_TOO_LARGE. */
  MAX_RESPONSE_BYTES: z.coerce.number().int().positive().default(1_000_000),
  /** The Messaging API channel: its secret signs webhooks, its long-lived token authorises our calls. */
  LINE_CHANNEL_SECRET: z.string().min(1),
  LINE_CHANNEL_ACCESS_TOKEN: z.string().min(1),
  LINE_API_BASE_URL: httpUrl.default('https://api.line.me'),
  /** LINE's account-link dialog; tests point it at a fake. */
  LINE_ACCOUNT_LINK_URL: httpUrl.default('https://access.line.me/dialog/bot/accountLink'),
  LINE_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Rich menus for linked members and for everyone else (created by `npm run line:richmenus`). */
  LINE_MEMBER_RICH_MENU_ID: z.string().optional(),
  LINE_GUEST_RICH_MENU_ID: z.string().optional(),
  /** The Shopify Admin GraphQL API version the purchases service calls (discount codes: `context` needs 2025-10 on). */
  SHOPIFY_ADMIN_API_VERSION: z.string().regex(/^\d{4}-(01|04|07|10)$/, 'must be a Shopify API version such as 2025-10').default('2025-10'),
  /** Tests only: where the Admin API is called instead of https://<shop>/ (a fake on loopback). */
  SHOPIFY_ADMIN_BASE_URL: httpUrl.optional(),
  SHOPIFY_ADMIN_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /**
   * The LINE Login channel of the LIFF member page (issue 16, docs/line-setup.md): its id is the ID tokens' `aud`,
   * its secret verifies HS256 tokens; ES256 tokens are verified against LINE's keys at LINE_LOGIN_JWKS_URL.
   * Without a channel id the member page answers that it is not set up.
   */
  LINE_LOGIN_CHANNEL_ID: z.string().regex(/^\d{1,20}$/, 'must be the LINE Login channel id (digits)').optional(),
  LINE_LOGIN_CHANNEL_SECRET: z.string().min(1).optional(),
  LINE_LOGIN_JWKS_URL: httpUrl.default('https://api.line.me/oauth2/v2.1/certs'),
  /** The LIFF app of the member page ("<channel id>-<suffix>"); its URL https://liff.line.me/<LIFF_ID> opens the page in LINE. */
  LIFF_ID: z.string().regex(/^\d{1,20}-[A-Za-z0-9]{1,20}$/, 'must be a LIFF ID such as 1234567890-AbcdEfgh').optional(),
  /** The LIFF SDK the page loads; tests serve a stand-in. */
  LIFF_SDK_URL: httpUrl.default('https://static.line-scdn.net/liff/edge/2/sdk.js'),
  /**
   * The Smaregi connector (issue 17, docs/smaregi-setup.md). The app's client id and secret (sandbox and production
   * apps have their own), the value of the secret header the app registers for its webhooks, and the contracts that
   * installed the app, as JSON: `[{"contractId":"sb_abc123","stores":{"1":"SHIBUYA"}}]`, where `stores` maps each
   * Smaregi storeId to our store (its code or id). No contracts: the connector is off and its webhook answers 404.
   */
  SMAREGI_ENV: z.enum(['sandbox', 'production']).default('sandbox'),
  SMAREGI_CLIENT_ID: z.string().min(1).optional(),
  SMAREGI_CLIENT_SECRET: z.string().min(1).optional(),
  SMAREGI_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The header the app's webhook settings send the secret in (case does not matter). */
  SMAREGI_WEBHOOK_SECRET_HEADER: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name').default('x-smaregi-webhook-secret'),
  SMAREGI_CONTRACTS: z
    .string()
    .default('[]')
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON list of contracts' });
        return z.NEVER;
      }
    })
    .pipe(
      z.array(
        z.object({
          contractId: z.string().regex(/^[A-Za-z0-9_]{1,40}$/, 'must be a Smaregi contract id'),
          /** Smaregi storeId (digits) -> our store's code or id. A sale at a store not listed is kept for staff, not recorded. */
          stores: z.record(z.string().regex(/^\d{1,10}$/), z.string().min(1)).default({}),
          /** Whether members registered elsewhere get a customer record in this contract (default yes). */
          createCustomers: z.boolean().default(true),
        }),
      ),
    ),
  /** Tests only: where the token endpoint and the API are called instead of id.smaregi.{dev,jp} and api.smaregi.{dev,jp}. */
  SMAREGI_ID_BASE_URL: httpUrl.optional(),
  SMAREGI_API_BASE_URL: httpUrl.optional(),
  SMAREGI_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** Where Smaregi reaches the purchases service (the bulk point update's callback); without it catch-up uses single updates. */
  SMAREGI_CALLBACK_BASE_URL: httpUrl.optional(),
  /**
   * How long a partner's webhook endpoint has to answer a delivery (docs/events.md). At most 20 s: with the 5 s
   * lookup and a 5 s margin, a send fits inside the outbox's 30 s lease (members' webhook-dispatcher.ts).
   */
  PARTNER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1000).max(20_000).default(10_000),
  /** Where customers' browsers reach the line service (link page, member-card images). */
  LINE_PUBLIC_BASE_URL: httpUrl.default('http://127.0.0.1:4004'),
  /** When segmented messages wait instead of going out, in JST; empty for none. */
  LINE_QUIET_HOURS: z
    .string()
    .regex(/^(([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)?$/, 'must be HH:MM-HH:MM (JST), or empty for none')
    .default('21:00-09:00'),
  /**
   * When set, GET /metrics of every service and the gateway answers only `Authorization: Bearer <token>`; unset,
   * anyone who reaches the port reads it, which production refuses (docs/observability.md).
   */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * A subgraph's /ready fails (503) while one of its outboxes has an item due for longer than this; 0 (the
   * default) leaves outboxes out of /ready. Every instance of a service shares its outboxes, so all of them fail
   * together: see docs/observability.md before turning it on.
   */
  READY_MAX_OUTBOX_AGE_SECONDS: z.coerce.number().int().min(0).default(0),
});

export type AppConfig = z.infer<typeof configSchema>;
export type SubgraphName = 'members' | 'points' | 'purchases' | 'line';
export const SUBGRAPH_NAMES: readonly SubgraphName[] = ['members', 'points', 'purchases', 'line'];

/** Development-only secrets from .env.development; production refuses to run with them. */
const DEV_SECRET_PREFIX = 'dev-only-';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        return env[name] === undefined && issue.code === 'invalid_type'
          ? `${name} is required but not set`
          : `${name}: ${issue.message}`;
      }),
    );
  }
  const config = result.data;
  const problems = [...issuerProblems(config), ...reusedSecretProblems(config)];
  if (config.NODE_ENV === 'production') {
    const devSecrets = (['GATEWAY_SECRET', 'INTERNAL_SECRET', 'LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN'] as const).filter((k) =>
      config[k].startsWith(DEV_SECRET_PREFIX),
    );
    problems.push(...devSecrets.map((k) => `${k}: the development secret cannot be used in production`));
    // a shared secret would let whoever holds it (the EC site) mint tokens: production verifies against the issuer's public keys
    for (const k of ['CUSTOMER_JWT_SECRET', 'STAFF_JWT_SECRET'] as const) {
      if (config[k]) problems.push(`${k}: production verifies tokens against a JWKS URL, not a shared secret`);
    }
    // whoever can answer a plain-http key set fetch could mint ADMIN tokens (loopback stays on the machine)
    for (const k of ['CUSTOMER_JWKS_URL', 'STAFF_JWKS_URL', 'STAFF_OIDC_ISSUER'] as const) {
      const url = config[k] ? new URL(config[k]) : undefined;
      if (url?.protocol === 'http:' && !isLoopbackHostname(url.hostname)) problems.push(`${k}: must be https in production`);
    }
    // the gateway's /metrics is on its public port, and every process parses the same environment
    if (!config.METRICS_TOKEN) problems.push("METRICS_TOKEN is required in production: the gateway's /metrics is on its public port");
    // a key made at start-up would be one per process and lost on restart
    if (!config.POS_TOKEN_SIGNING_KEY) problems.push('POS_TOKEN_SIGNING_KEY is required in production');
    // LINE only loads images over https, and the link page carries credentials
    if (!config.LINE_PUBLIC_BASE_URL.startsWith('https://')) problems.push('LINE_PUBLIC_BASE_URL: must be https in production');
    // the shops' access tokens would go wherever it points
    if (config.SHOPIFY_ADMIN_BASE_URL) problems.push('SHOPIFY_ADMIN_BASE_URL: only for tests; production calls each shop at https://<shop>/');
    for (const k of ['SMAREGI_ID_BASE_URL', 'SMAREGI_API_BASE_URL'] as const) {
      if (config[k]) problems.push(`${k}: only for tests; production calls Smaregi's own hosts`);
    }
  }
  problems.push(...smaregiProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A configured contract needs the app's credentials and its webhook secret; each contract is listed once. */
function smaregiProblems(config: AppConfig): string[] {
  if (config.SMAREGI_CONTRACTS.length === 0) return [];
  const problems = (['SMAREGI_CLIENT_ID', 'SMAREGI_CLIENT_SECRET', 'SMAREGI_WEBHOOK_SECRET'] as const)
    .filter((k) => !config[k])
    .map((k) => `${k} is required when SMAREGI_CONTRACTS lists a contract`);
  const ids = config.SMAREGI_CONTRACTS.map((c) => c.contractId);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) problems.push(`SMAREGI_CONTRACTS: ${[...new Set(repeated)].join(', ')} listed more than once`);
  return problems;
}

/** The issuers of our own tokens (POS tokens, service identities), which no identity provider may take. */
const RESERVED_ISSUERS = ['omo-members', 'omo-services'];

/** Each issuer has one key source, and customers' and staff's issuers are told apart by name. */
function issuerProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  for (const who of ['CUSTOMER', 'STAFF'] as const) {
    const jwks = config[`${who}_JWKS_URL`];
    const secret = config[`${who}_JWT_SECRET`];
    if (!jwks && !secret) problems.push(`${who}_JWKS_URL or ${who}_JWT_SECRET is required`);
    if (jwks && secret) problems.push(`${who}_JWKS_URL and ${who}_JWT_SECRET: set one of them, not both`);
  }
  if (config.CUSTOMER_JWT_ISSUER === config.STAFF_JWT_ISSUER) problems.push('STAFF_JWT_ISSUER: must differ from CUSTOMER_JWT_ISSUER');
  if (!config.STAFF_OIDC_ISSUER !== !config.STAFF_OIDC_CLIENT_ID) problems.push('STAFF_OIDC_ISSUER and STAFF_OIDC_CLIENT_ID: set both or neither');
  // one key set for both would let whoever signs customers' tokens sign staff's
  if (config.CUSTOMER_JWKS_URL && config.CUSTOMER_JWKS_URL === config.STAFF_JWKS_URL) problems.push('STAFF_JWKS_URL: must differ from CUSTOMER_JWKS_URL');
  for (const who of ['CUSTOMER', 'STAFF'] as const) {
    if (RESERVED_ISSUERS.includes(config[`${who}_JWT_ISSUER`])) problems.push(`${who}_JWT_ISSUER: ${config[`${who}_JWT_ISSUER`]} is this system's own issuer`);
  }
  return problems;
}

/** No key may serve two purposes: one that mints customer tokens must not mint staff tokens or service identities. */
function reusedSecretProblems(config: AppConfig): string[] {
  const secrets = (['CUSTOMER_JWT_SECRET', 'STAFF_JWT_SECRET', 'GATEWAY_SECRET', 'INTERNAL_SECRET'] as const).filter((k) => config[k]);
  const problems: string[] = [];
  secrets.forEach((k, i) => {
    const same = secrets.slice(0, i).find((earlier) => config[earlier] === config[k]);
    if (same) problems.push(`${k}: must differ from ${same}`);
  });
  return problems;
}

export function subgraphUrls(config: AppConfig): Record<SubgraphName, string> {
  return {
    members: config.MEMBERS_URL,
    points: config.POINTS_URL,
    purchases: config.PURCHASES_URL,
    line: config.LINE_URL,
  };
}

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** true in the bundles of `npm run build` (an esbuild `define`, scripts/build.ts); not defined under tsx. */
declare const OMO_BUILT: boolean | undefined;

/**
 * Reads .env.development (outside production) without overriding variables already set, so `npm start`
 * and the CLIs work on a fresh clone while a deployment sets everything explicitly. The built services never
 * read it, whatever NODE_ENV says: the build is what production runs, and a secret missing there must stop the
 * process rather than be filled in with the public development value.
 */
export function loadDevelopmentEnv(): void {
  if (typeof OMO_BUILT !== 'undefined') return;
  const file = path.join(REPO_ROOT, '.env.development');
  if (process.env.NODE_ENV !== 'production' && existsSync(file)) process.loadEnvFile(file);
}

/** Parses process.env once at start-up; on any problem prints every one of them and exits. */
export function loadConfigOrExit(): AppConfig {
  loadDevelopmentEnv();
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
