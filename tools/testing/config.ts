import { parseConfig, type AppConfig } from '@omo/lib/core/config';
import { testMongodbUri } from './database';

export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef01234';

/** A valid configuration for tests (an override of undefined unsets the variable): fixed test secrets (HS256 issuers, as in development), silent logs, ports picked by the OS. */
export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CUSTOMER_JWT_SECRET: 'test-customer-jwt-secret-0123456789abcdef',
    STAFF_JWT_SECRET: 'test-staff-jwt-secret-0123456789abcdef0123',
    GATEWAY_SECRET: 'test-gateway-secret-0123456789abcdef012345',
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    // a token of a minute or less is exchanged on every request: a revoked key stops at once
    POS_TOKEN_TTL_SECONDS: '60',
    // what members says of a customer is asked every time, so a withdrawal shows at once
    CUSTOMER_STATUS_CACHE_SECONDS: '0',
    // tests that are not about limits must never meet one
    RATE_LIMIT_POS_PER_MINUTE: '1000000',
    RATE_LIMIT_CUSTOMER_PER_MINUTE: '1000000',
    RATE_LIMIT_STAFF_PER_MINUTE: '1000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    GATEWAY_PORT: '0',
    MEMBERS_PORT: '0',
    POINTS_PORT: '0',
    PURCHASES_PORT: '0',
    LINE_PORT: '0',
    CORS_ORIGINS: 'https://shop.example.com',
    LINE_CHANNEL_SECRET: 'test-line-channel-secret',
    LINE_CHANNEL_ACCESS_TOKEN: 'test-line-access-token',
    LINE_API_BASE_URL: 'http://127.0.0.1:9',
    LINE_ACCOUNT_LINK_URL: 'http://127.0.0.1:9/dialog/bot/accountLink',
    LINE_TIMEOUT_MS: '2000',
    ...overrides,
  };
  return parseConfig(env);
}

/** The environment of a service or CLI spawned as its own process against the test database `dbName`, with `config`'s secrets. */
export function testProcessEnv(config: AppConfig, dbName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    MONGODB_URI: testMongodbUri(),
    MONGODB_DB: dbName,
    CUSTOMER_JWT_SECRET: config.CUSTOMER_JWT_SECRET,
    STAFF_JWT_SECRET: config.STAFF_JWT_SECRET,
    GATEWAY_SECRET: config.GATEWAY_SECRET,
    INTERNAL_SECRET: config.INTERNAL_SECRET,
    LINE_CHANNEL_SECRET: config.LINE_CHANNEL_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: config.LINE_CHANNEL_ACCESS_TOKEN,
    ...extra,
  };
}
