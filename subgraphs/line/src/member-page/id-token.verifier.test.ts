import { SignJWT, UnsecuredJWT } from 'jose';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { startFakeLiff, type FakeLiff } from '../../../../test/helpers/fake-liff';
import { LineIdTokenVerifier } from './id-token.verifier';

const USER = 'U4af4980629f4e5d6c3b2a1f0e9d8c7b6';
const SECRET = 'line-login-channel-secret-for-tests';
const NOW = new Date('2026-12-01T03:00:00.000Z');

let liff: FakeLiff;
let verifier: LineIdTokenVerifier;

beforeAll(async () => {
  liff = await startFakeLiff();
  verifier = new LineIdTokenVerifier({ channelId: liff.channelId, channelSecret: SECRET, jwksUrl: liff.jwksUrl, clock: () => NOW });
});
afterAll(() => liff.close());

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A web login's ID token: HS256 with the channel secret. */
function hs256(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return new SignJWT({ iss: 'https://access.line.me', sub: USER, aud: liff.channelId, iat: seconds(NOW), exp: seconds(NOW) + 3600, ...claims })
    .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

describe('LineIdTokenVerifier', () => {
  it('takes the LINE user from a LIFF token (ES256, LINE’s key set) and from a web login’s (HS256, the channel secret)', async () => {
    expect(await verifier.verify(await liff.mint(USER, { now: NOW, name: '山田花子' }))).toEqual({ lineUserId: USER, name: '山田花子' });
    expect(await verifier.verify(await hs256({}))).toEqual({ lineUserId: USER, name: null });
  });

  it.each([
    ['signed with a key LINE never published', () => liff.mint(USER, { now: NOW, signedBy: 'stranger' })],
    ['expired', () => liff.mint(USER, { now: new Date(NOW.getTime() - 2 * 3600_000) })],
    ['for another channel', () => liff.mint(USER, { now: NOW, audience: '1000000001' })],
    ['issued in the future', () => liff.mint(USER, { now: new Date(NOW.getTime() + 3600_000) })],
    ['HS256 with another secret', () => hs256({}, 'another-channel-secret-0123456789')],
    ['from another issuer', () => hs256({ iss: 'https://accounts.example.com' })],
    ['without exp', () => hs256({ exp: undefined })],
    ['for something that is not a LINE user', () => hs256({ sub: 'member-1' })],
    ['unsigned (alg none)', async () => new UnsecuredJWT({ iss: 'https://access.line.me', sub: USER, aud: liff.channelId, iat: seconds(NOW), exp: seconds(NOW) + 60 }).encode()],
    ['not a JWT', async () => 'not-a-token'],
  ])('refuses a token %s', async (_what, token) => {
    expect(await verifier.verify(await token())).toBeNull();
  });

  it('refuses HS256 altogether when no channel secret is configured', async () => {
    const withoutSecret = new LineIdTokenVerifier({ channelId: liff.channelId, jwksUrl: liff.jwksUrl, clock: () => NOW });
    expect(await withoutSecret.verify(await hs256({}))).toBeNull();
  });

  it('says LINE cannot be asked, rather than "not logged in", when its key set cannot be fetched', async () => {
    const unreachable = new LineIdTokenVerifier({ channelId: liff.channelId, jwksUrl: 'http://127.0.0.1:9/oauth2/v2.1/certs', clock: () => NOW });
    await expect(unreachable.verify(await liff.mint(USER, { now: NOW }))).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
