import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { startFakePartner } from '../helpers/fake-partner';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The member import after a run that died part way, and a batch one of whose rows cannot be carried out: every
 * rerun completes what a dead run left, and one row's trouble is that row's.
 */
const IMPORT = /* GraphQL */ `
  mutation Import($input: MemberImportInput!) {
    importMembers(input: $input) { rows { line legacyCode outcome messages } }
  }
`;

/** 10 May 2027, 12:00 JST. */
const now = new Date('2027-05-10T03:00:00.000Z');
/** The system's clock: `now` until a test moves it on (the last ones, past the publishers' 30 s topic cache). */
let clockMs = now.getTime();
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date(clockMs) });
}, 60_000);
afterAll(() => system.close());

async function importRows(rows: Record<string, unknown>[]): Promise<{ line: number; legacyCode: string; outcome: string; messages: string[] }[]> {
  return ok(await system.graphql<{ importMembers: { rows: { line: number; legacyCode: string; outcome: string; messages: string[] }[] } }>(IMPORT, { input: { rows, dryRun: false } }, system.adminHeaders()))
    .importMembers.rows;
}

async function drainMembers(): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    await system.subgraphs.members.built.outbox.drain();
    await system.subgraphs.members.built.partnerEvents.deliveryOutbox.drain();
  }
}

const balanceOf = async (code: string) =>
  ok(await system.graphql<{ memberByCode: { points: { balance: number; tier: string } } }>('query($code: String!) { memberByCode(code: $code) { points { balance tier } } }', { code }, system.staffHeaders()))
    .memberByCode.points;

describe('the member import after trouble', () => {
  it('gives the balance a dead run left unsent when the file is sent again', async () => {
    // the dead run: its code claimed and its member stored, but its balances item was given up (done) while the
    // member was not stored yet, and the run died before it could send it again
    expect((await importRows([{ line: 2, legacyCode: 'DEAD-1', displayName: '途中 太郎' }])).map((row) => row.outcome)).toEqual(['CREATED']);
    const claim = await system.db.collection<{ _id: string; memberId: Types.ObjectId }>('member_legacy_codes').findOne({ _id: 'DEAD1' });
    const memberId = claim!.memberId.toHexString();
    const lots = [{ points: 700, expiresAt: '2027-12-31T14:59:59.999Z' }];
    await system.db.collection<{ _id: string } & Record<string, unknown>>('members_outbox').insertOne({
      _id: `import-balances:${createHash('sha256').update(memberId).digest('base64url')}`,
      type: 'import-balances',
      payload: { items: [{ memberId, key: 'import:DEAD1', lots, tier: 'GOLD' }], actor: 'staff:admin' },
      createdAt: now,
      attempts: 1,
      nextAttemptAt: now,
      doneAt: now,
      lastError: null,
      result: { dropped: 'no member of the batch was stored' },
    });
    expect(await balanceOf('DEAD-1')).toEqual({ balance: 0, tier: 'REGULAR' });

    const rerun = await importRows([{ line: 2, legacyCode: 'DEAD-1', displayName: '途中 太郎', tier: 'GOLD', balances: [{ points: 700, expiresOn: '2027-12-31' }] }]);
    expect(rerun.map((row) => row.outcome)).toEqual(['UNCHANGED']);
    expect(await balanceOf('DEAD-1')).toEqual({ balance: 700, tier: 'GOLD' });

    // and once more: points replays the member's import key, so nothing is added
    await importRows([{ line: 2, legacyCode: 'DEAD-1', balances: [{ points: 900, expiresOn: '2027-12-31' }] }]);
    expect(await balanceOf('DEAD-1')).toEqual({ balance: 700, tier: 'GOLD' });
  });

  it('reports a row that cannot be registered now with a message, and imports the rest of the batch', async () => {
    // someone else's registration of this phone is in flight: its claim is fresh and its member not stored yet
    await system.db.collection<{ _id: string } & Record<string, unknown>>('member_contact_claims').insertOne({ _id: 'phone:+819055556666', memberId: new Types.ObjectId(), createdAt: now });
    const rows = await importRows([
      { line: 2, legacyCode: 'BUSY-1', phone: '090-5555-6666', balances: [{ points: 100, expiresOn: '2027-12-31' }] },
      { line: 3, legacyCode: 'FINE-1', balances: [{ points: 200, expiresOn: '2027-12-31' }] },
    ]);
    expect(rows).toEqual([
      { line: 2, legacyCode: 'BUSY-1', outcome: 'INVALID', messages: ['not imported: its e-mail or phone is being registered by someone else; send the row again'] },
      { line: 3, legacyCode: 'FINE-1', outcome: 'CREATED', messages: [] },
    ]);
    expect((await balanceOf('FINE-1')).balance).toBe(200);

    // once the other registration is over (here: given up), the row goes through
    await system.db.collection<{ _id: string } & Record<string, unknown>>('member_contact_claims').deleteOne({ _id: 'phone:+819055556666' });
    const again = await importRows([{ line: 2, legacyCode: 'BUSY-1', phone: '090-5555-6666', balances: [{ points: 100, expiresOn: '2027-12-31' }] }]);
    expect(again.map((row) => row.outcome)).toEqual(['CREATED']);
    expect((await balanceOf('BUSY-1')).balance).toBe(100);
  });

  it('gives two rows of one batch with one phone one member each, the later without it and flagged as the earlier’s duplicate', async () => {
    const rows = await importRows([
      { line: 2, legacyCode: 'TWIN-1', phone: '090-7777-0001', email: 'twin1@example.com' },
      { line: 3, legacyCode: 'TWIN-2', phone: '090-7777-0001', email: 'twin2@example.com' },
    ]);
    const claims = system.db.collection<{ _id: string; memberId: Types.ObjectId }>('member_legacy_codes');
    const [first, second] = await Promise.all(['TWIN1', 'TWIN2'].map(async (code) => (await claims.findOne({ _id: code }))!.memberId));
    const firstCode = (await system.db.collection('members').findOne({ _id: first }))!.memberCode as string;
    expect(rows).toEqual([
      { line: 2, legacyCode: 'TWIN-1', outcome: 'CREATED', messages: [] },
      { line: 3, legacyCode: 'TWIN-2', outcome: 'CREATED', messages: [`phone belongs to member ${firstCode} already: left out`] },
    ]);
    const stored = await system.db.collection('members').find({ _id: { $in: [first!, second!] } }, { projection: { email: 1, phone: 1 } }).sort({ email: 1 }).toArray();
    expect(stored).toEqual([
      { _id: first, email: 'twin1@example.com', phone: '+819077770001' },
      { _id: second, email: 'twin2@example.com', phone: null },
    ]);
    expect(await system.db.collection('member_duplicates').findOne({ memberId: second })).toMatchObject({ duplicateOfId: first, contacts: [{ kind: 'phone', value: '+819077770001' }], source: 'import:TWIN2' });
  });

  it('takes over a contact claim a crashed registration left (its member never stored)', async () => {
    const crashed = new Types.ObjectId();
    await system.db.collection<{ _id: string } & Record<string, unknown>>('member_contact_claims').insertOne({ _id: 'email:left@example.com', memberId: crashed, createdAt: new Date(now.getTime() - 60_000) });
    const rows = await importRows([{ line: 2, legacyCode: 'LEFT-1', email: 'left@example.com', balances: [{ points: 300, expiresOn: '2027-12-31' }] }]);
    expect(rows).toEqual([{ line: 2, legacyCode: 'LEFT-1', outcome: 'CREATED', messages: [] }]);
    const claim = await system.db.collection<{ _id: string; memberId: Types.ObjectId }>('member_legacy_codes').findOne({ _id: 'LEFT1' });
    expect(await system.db.collection<{ _id: string } & Record<string, unknown>>('member_contact_claims').findOne({ _id: 'email:left@example.com' })).toMatchObject({ memberId: claim!.memberId });
    expect(await system.db.collection('members').findOne({ _id: claim!.memberId }, { projection: { _id: 0, email: 1 } })).toEqual({ email: 'left@example.com' });
    expect((await balanceOf('LEFT-1')).balance).toBe(300);
  });

  it('publishes member.registered for a member a rerun stores after a dead run’s item was given up', async () => {
    // the earlier tests' events, queued before the publisher knew nobody listened, go to nobody
    await drainMembers();
    const partner = await startFakePartner({ now: () => new Date(clockMs) });
    try {
      const { createWebhookSubscription } = ok(
        await system.graphql<{ createWebhookSubscription: { secret: string } }>(
          'mutation($url: String!) { createWebhookSubscription(url: $url, topics: [MEMBER_REGISTERED]) { secret } }',
          { url: partner.url },
          system.adminHeaders(),
        ),
      );
      partner.secret = createWebhookSubscription.secret;
      clockMs += 31_000;
      // the dead run: the old code claimed for X, member.registered queued for X and given up a minute later (X was
      // not stored yet); then it died before inserting X
      const memberId = new Types.ObjectId();
      await system.db.collection<{ _id: string } & Record<string, unknown>>('member_legacy_codes').insertOne({ _id: 'LOST1', memberId, createdAt: new Date(clockMs - 120_000) });
      await system.db.collection<{ _id: string } & Record<string, unknown>>('members_outbox').insertOne({
        _id: `partner-event:member.registered:${memberId.toHexString()}`,
        type: 'partner-member-event',
        payload: { topic: 'member.registered', memberId: memberId.toHexString() },
        createdAt: new Date(clockMs - 120_000),
        attempts: 1,
        nextAttemptAt: new Date(clockMs - 60_000),
        doneAt: new Date(clockMs - 60_000),
        lastError: null,
        result: { dropped: 'the member.registered change was not stored' },
      });

      expect((await importRows([{ line: 2, legacyCode: 'LOST-1', displayName: '再送 花子' }])).map((row) => row.outcome)).toEqual(['CREATED']);
      await drainMembers();
      const memberCode = (await system.db.collection('members').findOne({ _id: memberId }))!.memberCode as string;
      expect(partner.accepted.map(({ id, data }) => ({ id, memberCode: (data as { memberCode: string }).memberCode }))).toEqual([{ id: `member.registered:${memberId.toHexString()}`, memberCode }]);
    } finally {
      await partner.close();
    }
  });
});
