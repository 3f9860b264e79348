import { parseConfig, type AppConfig } from '../config';
import { TEST_INTERNAL_SECRET } from './subgraph';

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
    ...overrides,
  });
}
