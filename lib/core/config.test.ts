import { ConfigError, parseConfig } from '@omo/lib/core/config';

const valid = {
  CUSTOMER_JWT_SECRET: 'a'.repeat(32),
  STAFF_JWT_SECRET: 'd'.repeat(32),
  GATEWAY_SECRET: 'e'.repeat(32),
  INTERNAL_SECRET: 'b'.repeat(32),
  LINE_CHANNEL_SECRET: 'line-secret',
  LINE_CHANNEL_ACCESS_TOKEN: 'line-token',
};

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies defaults to a minimal valid environment', () => {
    const config = parseConfig(valid);
    expect(config).toMatchObject({ NODE_ENV: 'development', GATEWAY_PORT: 4000, MONGODB_DB: 'omo', CORS_ORIGINS: [], POS_MAX_BACKDATE_HOURS: 72 });
  });

  it('names every missing variable at once', () => {
    expect(problems({})).toEqual([
      'GATEWAY_SECRET is required but not set',
      'INTERNAL_SECRET is required but not set',
      'LINE_CHANNEL_SECRET is required but not set',
      'LINE_CHANNEL_ACCESS_TOKEN is required but not set',
    ]);
  });

  it('names a malformed variable and says what is wrong', () => {
    expect(problems({ ...valid, GATEWAY_PORT: 'eighty' })).toEqual([expect.stringMatching(/^GATEWAY_PORT: /)]);
    expect(problems({ ...valid, MONGODB_URI: 'postgres://x' })).toEqual(['MONGODB_URI: must be a mongodb:// or mongodb+srv:// URI']);
    expect(problems({ ...valid, STAFF_JWT_SECRET: 'short' })).toEqual(['STAFF_JWT_SECRET: must be at least 32 characters']);
    expect(problems({ ...valid, POS_MAX_BACKDATE_HOURS: '72.5' })).toEqual([expect.stringMatching(/^POS_MAX_BACKDATE_HOURS: /)]);
    expect(problems({ ...valid, CORS_ORIGINS: 'https://ok.example.com,not a url' })).toEqual([expect.stringMatching(/^CORS_ORIGINS/)]);
  });

  const production = {
    NODE_ENV: 'production',
    CUSTOMER_JWKS_URL: 'https://login.shop.example.com/.well-known/jwks.json',
    STAFF_JWKS_URL: 'https://sso.example.com/keys',
    GATEWAY_SECRET: 'e'.repeat(32),
    INTERNAL_SECRET: 'b'.repeat(32),
    POS_TOKEN_SIGNING_KEY: '{"kty":"EC"}',
    LINE_CHANNEL_SECRET: 'line-secret',
    LINE_CHANNEL_ACCESS_TOKEN: 'line-token',
    LINE_PUBLIC_BASE_URL: 'https://line.shop.example.com',
    METRICS_TOKEN: 'm'.repeat(16),
  };

  it('accepts a production environment that verifies tokens against JWKS URLs', () => {
    expect(problems(production)).toEqual([]);
  });

  it("refuses production without a metrics token: the gateway's /metrics would be open on its public port", () => {
    const { METRICS_TOKEN: _m, ...rest } = production;
    expect(problems(rest)).toEqual(["METRICS_TOKEN is required in production: the gateway's /metrics is on its public port"]);
  });

  it('refuses a Shopify Admin API base URL in production, where the shops’ tokens would go to it', () => {
    expect(problems({ ...production, SHOPIFY_ADMIN_BASE_URL: 'http://127.0.0.1:9999' })).toEqual([
      'SHOPIFY_ADMIN_BASE_URL: only for tests; production calls each shop at https://<shop>/',
    ]);
    expect(problems({ ...production, SHOPIFY_ADMIN_API_VERSION: '2025-11' })).toEqual(['SHOPIFY_ADMIN_API_VERSION: must be a Shopify API version such as 2025-10']);
  });

  it('refuses the development secrets in production', () => {
    expect(problems({ ...production, GATEWAY_SECRET: `dev-only-${'x'.repeat(30)}`, LINE_PUBLIC_BASE_URL: 'http://line.example.com' })).toEqual([
      'GATEWAY_SECRET: the development secret cannot be used in production',
      'LINE_PUBLIC_BASE_URL: must be https in production',
    ]);
  });

  it('refuses shared HS256 secrets for customers and staff in production, and a missing POS signing key', () => {
    const { CUSTOMER_JWKS_URL: _c, STAFF_JWKS_URL: _s, POS_TOKEN_SIGNING_KEY: _p, ...rest } = production;
    expect(problems({ ...rest, CUSTOMER_JWT_SECRET: 'a'.repeat(32), STAFF_JWT_SECRET: 'd'.repeat(32) })).toEqual([
      'CUSTOMER_JWT_SECRET: production verifies tokens against a JWKS URL, not a shared secret',
      'STAFF_JWT_SECRET: production verifies tokens against a JWKS URL, not a shared secret',
      'POS_TOKEN_SIGNING_KEY is required in production',
    ]);
  });

  it('refuses one key for two purposes: a secret that signs customer tokens cannot sign staff tokens or service identities', () => {
    expect(problems({ ...valid, STAFF_JWT_SECRET: valid.CUSTOMER_JWT_SECRET, INTERNAL_SECRET: valid.CUSTOMER_JWT_SECRET })).toEqual([
      'STAFF_JWT_SECRET: must differ from CUSTOMER_JWT_SECRET',
      'INTERNAL_SECRET: must differ from CUSTOMER_JWT_SECRET',
    ]);
    expect(problems({ ...valid, GATEWAY_SECRET: valid.INTERNAL_SECRET })).toEqual(['INTERNAL_SECRET: must differ from GATEWAY_SECRET']);
  });

  it('refuses plain-http key sets in production, one key set for both issuers, and our own issuer names', () => {
    expect(problems({ ...production, STAFF_JWKS_URL: 'http://sso.example.com/keys' })).toEqual(['STAFF_JWKS_URL: must be https in production']);
    expect(problems({ ...production, STAFF_JWKS_URL: production.CUSTOMER_JWKS_URL })).toEqual(['STAFF_JWKS_URL: must differ from CUSTOMER_JWKS_URL']);
    expect(problems({ ...valid, CUSTOMER_JWT_ISSUER: 'omo-members' })).toEqual(["CUSTOMER_JWT_ISSUER: omo-members is this system's own issuer"]);
  });

  it('takes the console’s staff sign-in provider with its client, and only over https in production', () => {
    expect(problems({ ...valid, STAFF_OIDC_ISSUER: 'https://sso.example.com' })).toEqual(['STAFF_OIDC_ISSUER and STAFF_OIDC_CLIENT_ID: set both or neither']);
    expect(problems({ ...valid, STAFF_OIDC_CLIENT_ID: 'omo-console' })).toEqual(['STAFF_OIDC_ISSUER and STAFF_OIDC_CLIENT_ID: set both or neither']);
    expect(problems({ ...production, STAFF_OIDC_ISSUER: 'https://sso.example.com', STAFF_OIDC_CLIENT_ID: 'omo-console' })).toEqual([]);
    expect(problems({ ...production, STAFF_OIDC_ISSUER: 'http://sso.example.com', STAFF_OIDC_CLIENT_ID: 'omo-console' })).toEqual(['STAFF_OIDC_ISSUER: must be https in production']);
    expect(parseConfig({ ...valid, STAFF_OIDC_ISSUER: 'https://sso.example.com', STAFF_OIDC_CLIENT_ID: 'omo-console' }).STAFF_OIDC_SCOPE).toBe('openid');
  });

  it('reads TRUST_PROXY as a hop count or addresses, and refuses true', () => {
    expect(parseConfig({ ...valid, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(parseConfig({ ...valid, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(problems({ ...valid, TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^TRUST_PROXY: true would trust any X-Forwarded-For/)]);
  });

  it('needs one key source per issuer, and two issuers of different names', () => {
    const { CUSTOMER_JWT_SECRET: _c, ...noCustomerKey } = valid;
    expect(problems(noCustomerKey)).toEqual(['CUSTOMER_JWKS_URL or CUSTOMER_JWT_SECRET is required']);
    expect(problems({ ...valid, STAFF_JWKS_URL: 'https://sso.example.com/keys' })).toEqual([
      'STAFF_JWKS_URL and STAFF_JWT_SECRET: set one of them, not both',
    ]);
    expect(problems({ ...valid, STAFF_JWT_ISSUER: 'same', CUSTOMER_JWT_ISSUER: 'same' })).toEqual(['STAFF_JWT_ISSUER: must differ from CUSTOMER_JWT_ISSUER']);
  });

  it('parses the CORS origins list', () => {
    expect(parseConfig({ ...valid, CORS_ORIGINS: 'https://a.example.com, http://localhost:3000' }).CORS_ORIGINS).toEqual([
      'https://a.example.com',
      'http://localhost:3000',
    ]);
  });
});

describe('service start-up', () => {
  it('stops with one clear message naming what is missing', async () => {
    const { execFile } = await import('node:child_process');
    const path = await import('node:path');
    const { REPO_ROOT } = await import('@omo/lib/core/config');
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
        ['subgraphs/members/src/index.ts'],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'production', INTERNAL_SECRET: 'short' } },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Invalid configuration:\n  - GATEWAY_SECRET is required but not set\n  - INTERNAL_SECRET: must be at least 32 characters\n' +
        '  - LINE_CHANNEL_SECRET is required but not set\n  - LINE_CHANNEL_ACCESS_TOKEN is required but not set\n',
    );
  });
});
