import { serviceIdentitySigner, serviceIdentityVerifier, signServiceIdentity } from '@omo/lib/core/auth';

const SECRET = 'internal-secret-of-the-services-for-tests';

afterEach(() => jest.useRealTimers());

describe('a service identity points has verified before', () => {
  it('does not vouch for another signature, another audience, or one past its exp', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const verify = serviceIdentityVerifier(SECRET, 'points');
    const identity = signServiceIdentity('purchases', 'points', SECRET);
    expect(verify(identity)).toEqual({ kind: 'service', service: 'purchases' });
    expect(verify(identity)).toEqual({ kind: 'service', service: 'purchases' });
    const [header, payload] = identity.split('.');
    const forged = `${header}.${payload}.${signServiceIdentity('purchases', 'points', 'another-secret-nobody-was-given').split('.')[2]}`;
    expect(() => verify(forged)).toThrow('Invalid service credential');
    expect(() => verify(signServiceIdentity('purchases', 'members', SECRET))).toThrow('Invalid service credential');
    expect(() => verify(undefined)).toThrow('Missing service credential');
    jest.advanceTimersByTime(66_000);
    expect(() => verify(identity)).toThrow('Invalid service credential');
  });

  it('still takes one a few seconds past its exp on a receiver whose clock runs ahead of the signer’s', () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const identity = signServiceIdentity('purchases', 'points', SECRET);
    jest.advanceTimersByTime(63_000);
    expect(serviceIdentityVerifier(SECRET, 'points')(identity)).toEqual({ kind: 'service', service: 'purchases' });
    jest.advanceTimersByTime(3_000);
    expect(() => serviceIdentityVerifier(SECRET, 'points')(identity)).toThrow('Invalid service credential');
  });
});

describe('the identity a client sends', () => {
  it('is signed again once it has lived half its life, so it always arrives with 30 s or more to live', () => {
    let now = 1_800_000_000_000;
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const identity = serviceIdentitySigner('purchases', 'points', SECRET, () => now);
    const first = identity();
    now += 29_000;
    jest.setSystemTime(now);
    expect(identity()).toBe(first);
    now += 2_000;
    jest.setSystemTime(now);
    const second = identity();
    expect(second).not.toBe(first);
    expect(serviceIdentityVerifier(SECRET, 'points')(second)).toEqual({ kind: 'service', service: 'purchases' });
  });
});
