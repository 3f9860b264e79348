import { CARD_TOKEN_TTL_MS, CardTokens } from './card-token';

const SECRET = 'test-internal-secret-0123456789abcdef01234';
const CODE = '2912345678903';
const NOW = new Date('2026-05-10T03:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('member card tokens', () => {
  const tokens = new CardTokens(SECRET);

  it('carries the member code until it expires 15 minutes after issue', () => {
    const { token, expiresAt } = tokens.issue(CODE, NOW);
    expect(expiresAt).toEqual(later(CARD_TOKEN_TTL_MS));
    expect(CARD_TOKEN_TTL_MS).toBe(15 * 60_000);
    expect(tokens.verify(token, NOW)).toEqual({ memberCode: CODE, expiresAt });
    expect(tokens.verify(token, later(CARD_TOKEN_TTL_MS - 1))).toEqual({ memberCode: CODE, expiresAt });
  });

  it('is refused from the moment it expires', () => {
    const { token } = tokens.issue(CODE, NOW);
    expect(tokens.verify(token, later(CARD_TOKEN_TTL_MS))).toBeNull();
    expect(tokens.verify(token, later(24 * 3_600_000))).toBeNull();
  });

  it('is URL-safe, different every time, and shows neither the member code nor anything readable', () => {
    const a = tokens.issue(CODE, NOW).token;
    const b = tokens.issue(CODE, NOW).token;
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url').toString('latin1')).not.toContain(CODE);
  });

  it('refuses a token changed in any single character', () => {
    const { token } = tokens.issue(CODE, NOW);
    for (let i = 0; i < token.length; i += 1) {
      const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      expect(tokens.verify(flipped, NOW)).toBeNull();
    }
  });

  it('refuses a token sealed with another secret, truncated, or not a token at all', () => {
    const foreign = new CardTokens('another-internal-secret-0123456789abcdef').issue(CODE, NOW).token;
    const { token } = tokens.issue(CODE, NOW);
    expect(tokens.verify(foreign, NOW)).toBeNull();
    expect(tokens.verify(token.slice(0, -4), NOW)).toBeNull();
    expect(tokens.verify('', NOW)).toBeNull();
    expect(tokens.verify('../../etc/passwd', NOW)).toBeNull();
    expect(tokens.verify('A'.repeat(60), NOW)).toBeNull();
  });
});
