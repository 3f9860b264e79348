import { queueSmaregiMembers } from '@omo/members/src/services/smaregi-member-backfill';
import { startFakeSmaregi, type FakeSmaregi } from '../helpers/fake-smaregi';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Importing under a Smaregi contract that creates customers: the old system may be Smaregi itself, holding the
 * member as a customer already, so the import asks Smaregi for nothing; `npm run smaregi:sync-members` is the one
 * way an imported member gets a customer record of ours (docs/member-import.md).
 */
const CONTRACT = 'sb_import01';

let fake: FakeSmaregi;
let system: TestSystem;

beforeAll(async () => {
  fake = await startFakeSmaregi();
  system = await startTestSystem(fake.settings([{ contractId: CONTRACT }]), undefined, { runBackground: false, clock: () => new Date('2027-05-10T03:00:00.000Z') });
}, 60_000);
afterAll(async () => {
  await system.close();
  await fake.close();
});

/** The customer records made in Smaregi (POST /pos/customers). */
const customerPosts = () => fake.apiCalls(CONTRACT, 'POST').filter((call) => call.path.endsWith('/pos/customers'));

/** Every outbox run once, in the order a balance travels: members, points, purchases (the push to Smaregi). */
async function settle(): Promise<void> {
  await system.subgraphs.members.built.outbox.drain();
  await system.subgraphs.points.built.outbox.drain();
  await system.subgraphs.purchases.built.outbox.drain();
}

describe('importing members under a Smaregi contract', () => {
  let member: { memberId: string; memberCode: string };

  it('makes no Smaregi customer for an imported member', async () => {
    const rows = [{ line: 2, legacyCode: 'OLD-1001', displayName: '山田 花子', phone: '090-3333-4444', balances: [{ points: 300, expiresOn: '2027-06-30' }] }];
    const data = ok(
      await system.graphql<{ importMembers: { rows: { outcome: string; memberId: string; memberCode: string }[] } }>(
        'mutation($input: MemberImportInput!) { importMembers(input: $input) { rows { outcome memberId memberCode } } }',
        { input: { rows, dryRun: false } },
        system.adminHeaders(),
      ),
    );
    expect(data.importMembers.rows.map((row) => row.outcome)).toEqual(['CREATED']);
    member = data.importMembers.rows[0]!;
    await settle();
    expect(customerPosts()).toEqual([]);
  });

  it('gives it one, with our card code and its balance, when smaregi:sync-members is run', async () => {
    const { models, outbox } = system.subgraphs.members.built;
    expect(await queueSmaregiMembers(models, outbox)).toBe(1);
    const item = await outbox.process(`smaregi-member:${member.memberId}`);
    expect(customerPosts()).toHaveLength(1);
    const customerId = (item?.result as { customers: { customerId: string }[] }).customers[0]!.customerId;
    expect(fake.customer(CONTRACT, customerId)).toMatchObject({ customerCode: member.memberCode, lastName: '山田 花子', mobileNumber: '090-3333-4444' });
    await settle();
    expect(fake.pointOf(CONTRACT, customerId)).toBe(300);
  });
});
