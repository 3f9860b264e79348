import jwt from 'jsonwebtoken';
import { BearerVerifier } from '@omo/lib/core/bearer-tokens';
import { GatewayAuthenticator } from './auth';

const CUSTOMER_SECRET = 'customers-signing-secret-of-the-identity-provider';
const STAFF_SECRET = 'staff-signing-secret-of-the-staff-sign-on';
const verifier = new BearerVerifier({
  customer: { issuer: 'shop', audience: 'shop-members', keys: { secret: CUSTOMER_SECRET }, maxLifetimeSeconds: 3600 },
  staff: { issuer: 'staff-sso', audience: 'omo-console', keys: { secret: STAFF_SECRET }, maxLifetimeSeconds: 3600 },
});
// members is never asked: these tests send bearer tokens only
const authenticator = () => new GatewayAuthenticator({ verifier, membersBaseUrl: 'http://127.0.0.1:1' });

const customer = (sub: string, expiresIn = 600, secret = CUSTOMER_SECRET) =>
  `Bearer ${jwt.sign({ sub }, secret, { algorithm: 'HS256', issuer: 'shop', audience: 'shop-members', expiresIn })}`;
const staff = (sub: string, role: 'STAFF' | 'ADMIN') =>
  `Bearer ${jwt.sign({ sub, role }, STAFF_SECRET, { algorithm: 'HS256', issuer: 'staff-sso', audience: 'omo-console', expiresIn: 600 })}`;

afterEach(() => jest.useRealTimers());

describe('a bearer token the gateway has verified before', () => {
  it('answers each caller with their own identity, callers taking turns', async () => {
    const gateway = authenticator();
    const tokens = { a: customer('member-a'), b: customer('member-b'), admin: staff('staff-1', 'ADMIN') };
    for (let round = 0; round < 3; round++) {
      await expect(gateway.authenticate({ authorization: tokens.a })).resolves.toEqual({ caller: { kind: 'customer', memberId: 'member-a' }, bearer: tokens.a });
      await expect(gateway.authenticate({ authorization: tokens.b })).resolves.toEqual({ caller: { kind: 'customer', memberId: 'member-b' }, bearer: tokens.b });
      await expect(gateway.authenticate({ authorization: tokens.admin })).resolves.toEqual({
        caller: { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' },
        bearer: tokens.admin,
      });
    }
  });

  it('does not vouch for a token with the same claims and another signature', async () => {
    const gateway = authenticator();
    await gateway.authenticate({ authorization: customer('member-a') });
    const forged = customer('member-a', 600, 'a-secret-the-identity-provider-never-had');
    await expect(gateway.authenticate({ authorization: forged })).rejects.toMatchObject({ message: 'Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('is refused once it has expired, as a token seen for the first time would be', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const gateway = authenticator();
    const token = customer('member-a', 120);
    await expect(gateway.authenticate({ authorization: token })).resolves.toMatchObject({ caller: { memberId: 'member-a' } });
    jest.advanceTimersByTime(119_000);
    await expect(gateway.authenticate({ authorization: token })).resolves.toMatchObject({ caller: { memberId: 'member-a' } });
    // the verifier allows registers' clocks 30 s; past that the token is refused however recently it was verified
    jest.advanceTimersByTime(32_000);
    await expect(gateway.authenticate({ authorization: token })).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
