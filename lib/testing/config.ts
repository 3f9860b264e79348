import { parseConfig, type AppConfig } from '../config';

export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef01234';

/** A valid configuration for tests: fixed test secrets, silent logs, ports picked by the OS. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789',
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
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
  });
}
