import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(32, 'must be at least 32 characters');
const httpUrl = z.url({ protocol: /^https?$/ });

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI').optional(),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('omo'),
  JWT_SECRET: secret,
  INTERNAL_SECRET: secret,
  GATEWAY_PORT: port.default(4000),
  MEMBERS_PORT: port.default(4001),
  POINTS_PORT: port.default(4002),
  PURCHASES_PORT: port.default(4003),
  LINE_PORT: port.default(4004),
  MEMBERS_URL: httpUrl.default('http://127.0.0.1:4001/graphql'),
  POINTS_URL: httpUrl.default('http://127.0.0.1:4002/graphql'),
  PURCHASES_URL: httpUrl.default('http://127.0.0.1:4003/graphql'),
  LINE_URL: httpUrl.default('http://127.0.0.1:4004/graphql'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(httpUrl)),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(10),
  MAX_QUERY_COST: z.coerce.number().int().positive().default(2000),
  MAX_QUERY_TOKENS: z.coerce.number().int().positive().default(5000),
  /** The largest response (its JSON, in bytes) the gateway sends; a larger one is replaced by RESPONSE_TOO_LARGE. */
  MAX_RESPONSE_BYTES: z.coerce.number().int().positive().default(1_000_000),
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
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
  /** Where customers' browsers reach the line service (link page, member-card images). */
  LINE_PUBLIC_BASE_URL: httpUrl.default('http://127.0.0.1:4004'),
  /** When segmented messages wait instead of going out, in JST; empty for none. */
  LINE_QUIET_HOURS: z
    .string()
    .regex(/^(([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)?$/, 'must be HH:MM-HH:MM (JST), or empty for none')
    .default('21:00-09:00'),
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
  if (config.NODE_ENV === 'production') {
    const devSecrets = (['JWT_SECRET', 'INTERNAL_SECRET', 'LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN'] as const).filter((k) =>
      config[k].startsWith(DEV_SECRET_PREFIX),
    );
    const problems = devSecrets.map((k) => `${k}: the development secret cannot be used in production`);
    // LINE only loads images over https, and the link page carries credentials
    if (!config.LINE_PUBLIC_BASE_URL.startsWith('https://')) problems.push('LINE_PUBLIC_BASE_URL: must be https in production');
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return config;
}

export function subgraphUrls(config: AppConfig): Record<SubgraphName, string> {
  return {
    members: config.MEMBERS_URL,
    points: config.POINTS_URL,
    purchases: config.PURCHASES_URL,
    line: config.LINE_URL,
  };
}

export const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Reads .env.development (outside production) without overriding variables already set, so `npm start`
 * and the CLIs work on a fresh clone while a deployment sets everything explicitly.
 */
export function loadDevelopmentEnv(): void {
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
