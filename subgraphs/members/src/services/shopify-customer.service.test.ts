import { Types } from 'mongoose';
import type { OnlineCustomer } from '@omo/lib/contracts/members';
import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { membersModels, type MembersModels } from '../models';
import { MemberService } from './member.service';

const STORE = '665f00000000000000000001';
const IN_FLIGHT_MS = 30_000;

let db: TestDatabase;
let models: MembersModels;
let clock: Date;
let service: MemberService;

beforeAll(async () => {
  db = await openTestDatabase();
  models = membersModels(db.connection);
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());
beforeEach(async () => {
  await Promise.all([models.members.deleteMany({}), models.contactClaims.deleteMany({}), models.shopifyCustomers.deleteMany({})]);
  clock = new Date('2030-04-01T09:00:00.000Z');
  service = new MemberService(models, () => clock);
});

function customer(overrides: Partial<OnlineCustomer> = {}): OnlineCustomer {
  return {
    storeId: STORE,
    customerId: '7623451099001',
    email: 'kenta.sato@example.com',
    phone: '+819000005678',
    firstName: '健太',
    lastName: '佐藤',
    state: 'enabled',
    emailMarketing: null,
    smsMarketing: null,
    ...overrides,
  };
}

/** A link a delivery claimed just before it died, its member never stored. */
async function orphanLink(createdAt: Date): Promise<Types.ObjectId> {
  const memberId = new Types.ObjectId();
  await models.shopifyCustomers.create({
    _id: `shopify:${STORE}:7623451099001`,
    memberId,
    storeId: STORE,
    customerId: '7623451099001',
    email: null,
    phone: null,
    state: null,
    emailMarketing: null,
    smsMarketing: null,
    createdAt,
    updatedAt: createdAt,
  });
  return memberId;
}

describe('a Shopify customer’s member', () => {
  it('makes one member of one customer upserted by several callers at once', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => service.upsertOnlineCustomer(customer())));
    const created = outcomes.filter((o) => o.status === 'fulfilled' && o.value.outcome === 'created');
    expect(created).toHaveLength(1);
    expect(await models.members.countDocuments()).toBe(1);
    // the others found the member the first made, or were told to retry while it was being stored
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(['created', 'unchanged']).toContain(outcome.value.outcome);
      else expect((outcome.reason as Error).message).toBe('The Shopify customer’s member is still being registered; retry');
    }
    expect(await service.upsertOnlineCustomer(customer())).toMatchObject({ outcome: 'unchanged', conflicts: [] });
  });

  it('asks for a retry while a fresh link’s member may still be being stored', async () => {
    await orphanLink(new Date(clock.getTime() - IN_FLIGHT_MS + 1));
    await expect(service.upsertOnlineCustomer(customer())).rejects.toThrow('still being registered');
    expect(await models.members.countDocuments()).toBe(0);
  });

  it('removes the link a crash left behind and registers the customer afresh', async () => {
    const orphan = await orphanLink(new Date(clock.getTime() - IN_FLIGHT_MS));
    const result = await service.upsertOnlineCustomer(customer());
    expect(result).toMatchObject({ outcome: 'created', conflicts: [] });
    expect(result.memberId).not.toBe(orphan.toHexString());
    const link = await models.shopifyCustomers.findById(`shopify:${STORE}:7623451099001`).lean();
    expect(link?.memberId.toHexString()).toBe(result.memberId);
    const member = await models.members.findById(result.memberId).lean();
    expect(member).toMatchObject({ displayName: '佐藤 健太', registeredVia: 'ONLINE', registeredStoreId: STORE, shopifyCustomerIds: [`${STORE}:7623451099001`] });
  });

  it('does not bring a withdrawn member back', async () => {
    const { memberId } = await service.upsertOnlineCustomer(customer());
    await service.withdraw({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, memberId);
    expect(await service.upsertOnlineCustomer(customer({ email: 'kenta.new@example.com' }))).toEqual({ memberId, outcome: 'withdrawn', conflicts: [] });
    expect(await models.members.findById(memberId).lean()).toMatchObject({ status: 'WITHDRAWN', email: null });
  });
});
