import { ConfigError, parseConfig } from './config';

const valid = {
  JWT_SECRET: 'a'.repeat(32),
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
      'JWT_SECRET is required but not set',
      'INTERNAL_SECRET is required but not set',
      'LINE_CHANNEL_SECRET is required but not set',
      'LINE_CHANNEL_ACCESS_TOKEN is required but not set',
    ]);
  });

  it('names a malformed variable and says what is wrong', () => {
    expect(problems({ ...valid, GATEWAY_PORT: 'eighty' })).toEqual([expect.stringMatching(/^GATEWAY_PORT: /)]);
    expect(problems({ ...valid, MONGODB_URI: 'postgres://x' })).toEqual(['MONGODB_URI: must be a mongodb:// or mongodb+srv:// URI']);
    expect(problems({ ...valid, JWT_SECRET: 'short' })).toEqual(['JWT_SECRET: must be at least 32 characters']);
    expect(problems({ ...valid, POS_MAX_BACKDATE_HOURS: '72.5' })).toEqual([expect.stringMatching(/^POS_MAX_BACKDATE_HOURS: /)]);
    expect(problems({ ...valid, CORS_ORIGINS: 'https://ok.example.com,not a url' })).toEqual([expect.stringMatching(/^CORS_ORIGINS/)]);
  });

  it('refuses the development secrets in production', () => {
    expect(
      problems({ ...valid, NODE_ENV: 'production', JWT_SECRET: `dev-only-${'x'.repeat(30)}`, INTERNAL_SECRET: 'c'.repeat(32) }),
    ).toEqual(['JWT_SECRET: the development secret cannot be used in production', 'LINE_PUBLIC_BASE_URL: must be https in production']);
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
    const { REPO_ROOT } = await import('./config');
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
      'Invalid configuration:\n  - JWT_SECRET is required but not set\n  - INTERNAL_SECRET: must be at least 32 characters\n' +
        '  - LINE_CHANNEL_SECRET is required but not set\n  - LINE_CHANNEL_ACCESS_TOKEN is required but not set\n',
    );
  });
});
