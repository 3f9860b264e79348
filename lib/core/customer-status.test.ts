import { CustomerStatus } from '@omo/lib/core/customer-status';

describe('CustomerStatus', () => {
  let now = 0;
  let answer: () => Promise<{ memberId: string; status: string } | null>;
  const status = new CustomerStatus(() => answer(), 30, () => now);
  const customer = (memberId: string) => ({ kind: 'customer' as const, memberId });

  it('turns a merged-away member into the member it was merged into, and refuses a withdrawn one', async () => {
    answer = () => Promise.resolve({ memberId: 'survivor', status: 'ACTIVE' });
    await expect(status.resolve(customer('merged'))).resolves.toEqual(customer('survivor'));
    answer = () => Promise.resolve({ memberId: 'gone', status: 'WITHDRAWN' });
    await expect(status.resolve(customer('gone'))).rejects.toMatchObject({ message: 'This membership has been withdrawn', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('keeps answering from what members last said while members cannot be asked', async () => {
    answer = () => Promise.resolve({ memberId: 'kept', status: 'ACTIVE' });
    await status.resolve(customer('kept'));
    now += 60_000;
    answer = () => Promise.reject(new Error('members is unavailable'));
    await expect(status.resolve(customer('kept'))).resolves.toEqual(customer('kept'));
  });

  it('answers SERVICE_UNAVAILABLE (HTTP 503), not a sign-out, when members cannot be asked and nothing is known', async () => {
    answer = () => Promise.reject(new Error('members is unavailable'));
    await expect(status.resolve(customer('new'))).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
  });
});
