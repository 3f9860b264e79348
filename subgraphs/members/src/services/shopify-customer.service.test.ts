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
  await Promise.all([
    models.members.deleteMany({}),
    models.contactClaims.deleteMany({}),
    models.shopifyCustomers.deleteMany({}),
    db.connection.collection('member_shopify_customer_leases').deleteMany({}),
  ]);
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
    updatedAt: '2030-04-01T18:00:00+09:00',
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
    shopifyUpdatedAt: null,
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
    // the others came after it and found its member, or were told to retry while it held the customer
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(['created', 'unchanged']).toContain(outcome.value.outcome);
      else expect((outcome.reason as Error).message).toBe('Another event of this Shopify customer is being applied; retry');
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

  it('records a new customer’s e-mail marketing subscription as their consent, and leaves an existing member’s alone', async () => {
    const subscribed = await service.upsertOnlineCustomer(customer({ emailMarketing: 'subscribed' }));
    const other = await service.upsertOnlineCustomer(customer({ customerId: '7623451099002', email: 'aoi@example.com', phone: null, emailMarketing: 'not_subscribed' }));
    const consent = async (id: string) => (await models.members.findById(id).lean())?.marketingConsent;
    expect([await consent(subscribed.memberId), await consent(other.memberId)]).toEqual([
      { granted: true, source: 'ONLINE', updatedAt: clock },
      { granted: false, source: 'ONLINE', updatedAt: clock },
    ]);
    await service.upsertOnlineCustomer(customer({ emailMarketing: 'unsubscribed', updatedAt: '2030-04-02T18:00:00+09:00' }));
    const store = await service.register({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, { displayName: '高橋', email: 'takahashi@example.com', registeredVia: 'STORE', registeredStoreId: 'store-1', marketingConsent: false });
    const linked = await service.upsertOnlineCustomer(customer({ customerId: '7623451099003', email: 'takahashi@example.com', phone: null, emailMarketing: 'subscribed' }));
    expect(linked).toMatchObject({ memberId: store._id.toHexString(), outcome: 'linked' });
    expect([await consent(subscribed.memberId), await consent(linked.memberId)]).toEqual([
      { granted: true, source: 'ONLINE', updatedAt: clock },
      { granted: false, source: 'STAFF', updatedAt: clock },
    ]);
  });

  it('does not bring a withdrawn member back', async () => {
    const { memberId } = await service.upsertOnlineCustomer(customer());
    await service.withdraw({ kind: 'staff', staffId: 'staff-1', role: 'STAFF' }, memberId);
    expect(await service.upsertOnlineCustomer(customer({ email: 'kenta.new@example.com' }))).toEqual({ memberId, outcome: 'withdrawn', conflicts: [] });
    expect(await models.members.findById(memberId).lean()).toMatchObject({ status: 'WITHDRAWN', email: null });
  });

  it('applies a customer’s updates in Shopify’s order, not in the order they arrive', async () => {
    const { memberId } = await service.upsertOnlineCustomer(customer());
    const newer = customer({ email: 'kenta.newer@example.com', updatedAt: '2030-04-03T10:00:00+09:00' });
    const older = customer({ email: 'kenta.older@example.com', phone: '+819000005670', updatedAt: '2030-04-02T10:00:00+09:00' });
    expect(await service.upsertOnlineCustomer(newer)).toEqual({ memberId, outcome: 'updated', conflicts: [] });
    expect(await service.upsertOnlineCustomer(older)).toEqual({ memberId, outcome: 'stale', conflicts: [] });
    expect(await models.members.findById(memberId).lean()).toMatchObject({ email: 'kenta.newer@example.com', phone: '+819000005678' });
    // the newer one again, as another event: the same state of the customer, nothing to apply
    expect(await service.upsertOnlineCustomer(newer)).toEqual({ memberId, outcome: 'unchanged', conflicts: [] });
    // an update without updated_at (a caller that does not send it) is applied as it comes
    expect(await service.upsertOnlineCustomer(customer({ phone: '+819000005671', updatedAt: null }))).toEqual({ memberId, outcome: 'updated', conflicts: [] });
  });

  it('applies one event of a customer at a time: another meanwhile is told to retry, and is applied after', async () => {
    const { memberId } = await service.upsertOnlineCustomer(customer());
    const first = service.upsertOnlineCustomer(customer({ email: 'kenta.first@example.com', updatedAt: '2030-04-02T10:00:00+09:00' }));
    const second = service.upsertOnlineCustomer(customer({ email: 'kenta.second@example.com', updatedAt: '2030-04-03T10:00:00+09:00' }));
    const [a, b] = await Promise.allSettled([first, second]);
    for (const o of [a, b]) {
      if (o.status === 'rejected') expect((o.reason as Error).message).toBe('Another event of this Shopify customer is being applied; retry');
    }
    // Shopify's retry of whichever was refused: the later edit ends up on the member either way
    if (b.status === 'rejected') await service.upsertOnlineCustomer(customer({ email: 'kenta.second@example.com', updatedAt: '2030-04-03T10:00:00+09:00' }));
    if (a.status === 'rejected') expect(await service.upsertOnlineCustomer(customer({ email: 'kenta.first@example.com', updatedAt: '2030-04-02T10:00:00+09:00' }))).toMatchObject({ outcome: 'stale' });
    expect(await models.members.findById(memberId).lean()).toMatchObject({ email: 'kenta.second@example.com' });
  });

  it('lets a customer’s next event through once a holder that died has let its lease lapse', async () => {
    const { memberId } = await service.upsertOnlineCustomer(customer());
    await db.connection.collection('member_shopify_customer_leases').insertOne({
      _id: `shopify:${STORE}:7623451099001#1` as never,
      resource: `shopify:${STORE}:7623451099001`,
      generation: 1,
      holder: 'a delivery that died',
      acquiredAt: clock,
      expiresAt: new Date(clock.getTime() + 30_000),
    });
    const update = customer({ email: 'kenta.later@example.com', updatedAt: '2030-04-02T10:00:00+09:00' });
    await expect(service.upsertOnlineCustomer(update)).rejects.toThrow('being applied; retry');
    clock = new Date(clock.getTime() + 30_000);
    expect(await service.upsertOnlineCustomer(update)).toEqual({ memberId, outcome: 'updated', conflicts: [] });
  });

  it('gives an order its customer’s linked member, and asks it to retry while that member is still being registered', async () => {
    const orphan = await orphanLink(new Date(clock.getTime() - IN_FLIGHT_MS + 1));
    await expect(service.findActiveByShopifyCustomer(STORE, '7623451099001')).rejects.toThrow('still being registered');
    clock = new Date(clock.getTime() + 1);
    // a crash's leftover names no member: the order is matched by its contacts instead
    expect(await service.findActiveByShopifyCustomer(STORE, '7623451099001')).toBeNull();
    await models.shopifyCustomers.deleteOne({ memberId: orphan });
    const { memberId } = await service.upsertOnlineCustomer(customer());
    expect((await service.findActiveByShopifyCustomer(STORE, '7623451099001'))?._id.toHexString()).toBe(memberId);
    expect(await service.findActiveByShopifyCustomer(STORE, '7623451099999')).toBeNull();
  });
});

