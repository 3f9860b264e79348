import { countCommands, createStore, ok, startTestSystem, type TestSystem } from '../helpers/system';

/** The bench's POS write (bench/scenarios/queries.ts): what a register sends and reads back. */
const RECORD = /* GraphQL */ `
  mutation RecordPurchase($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) { id status amountPaid pointsEarned member { id points { balance } } }
  }
`;

interface Recorded {
  recordPurchase: { id: string; status: string; pointsEarned: number; member: { points: { balance: number } } };
}

let system: TestSystem;
let storeId: string;
let pos: Record<string, string>;

beforeAll(async () => {
  // the gateway keeps a POS token it was given for 300 s (the default) and exchanges the key once; the tests' 60 s
  // would have it exchange the key on every request, which a register's sale does not cost
  system = await startTestSystem({ POS_TOKEN_TTL_SECONDS: '300' }, undefined, { runBackground: false, monitorCommands: true });
  storeId = await createStore(system);
  pos = await system.posHeaders([storeId]);
}, 60_000);
afterAll(() => system.close());

async function registerAtStore(n: number): Promise<string> {
  const response = await system.graphql<{ registerMember: { memberCode: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { memberCode } }',
    { input: { displayName: `来店${n}`, phone: `090-2000-${String(1000 + n)}`, registeredVia: 'STORE', registeredStoreId: storeId } },
    pos,
  );
  return ok(response).registerMember.memberCode;
}

const sale = (idempotencyKey: string, memberCode: string) => ({
  idempotencyKey,
  storeId,
  memberCode,
  lines: [{ sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2 }],
  total: 2560,
});

/** Sends one purchase through the gateway and counts the database commands each subgraph sent for it, by command. */
function counted(input: ReturnType<typeof sale>) {
  return countCommands(system, async () => ok(await system.graphql<Recorded>(RECORD, { input }, pos)).recordPurchase);
}

test('a new POS purchase and its replay cost a bounded number of database commands, and the replay awards nothing twice', async () => {
  const [warm, member] = [await registerAtStore(1), await registerAtStore(2)];
  // the first sale warms what a service reads once (the store's kind, the topics partners subscribe to)
  expect((await counted(sale('warm-1', warm))).result.status).toBe('COMPLETED');
  // the sign-up bonus is settled before the sale, so the sale's commands are its own
  await system.subgraphs.members.built.outbox.drain();

  const first = await counted(sale('sale-1', member));
  expect(first.result).toMatchObject({ status: 'COMPLETED', pointsEarned: 25 });
  const balance = first.result.member.points.balance;
  // members: the card resolved; the member mapped to the current one by the settlement (docs/architecture.md
  // lists why each command is needed).
  // purchases: the replay check; the settlement item and the purchase inserted, then run as written (its lease);
  // the outcome and the fact inserted; the purchase's state and the item's result written.
  // points: the policy once; the tier spend before the sale; the store rate, campaigns and item rules; the account
  // snapshot, the EARN entry, the snapshot moved; the tier spend inserted and the spend after it (the tier is
  // where it was: its changes are not read); the answer: the purchase's entries, and the member's entries from
  // the one the settlement wrote (this process knows it: services/known-heads.ts).
  expect(first.seen).toEqual({
    members: { find: 2 },
    purchases: { find: 1, insert: 5, update: 2 },
    points: { aggregate: 2, find: 7, insert: 2, update: 1 },
  });

  const replay = await counted(sale('sale-1', member));
  expect(replay.result).toMatchObject({ id: first.result.id, status: 'COMPLETED', pointsEarned: 25, member: { points: { balance } } });
  // the purchase, its refunds (a replayed purchase may have some); points: its entries, and the member's entries from
  // the head the first answer read (another replica would read the snapshot and the entries after it: one more)
  expect(replay.seen).toEqual({ purchases: { find: 2 }, points: { find: 2 } });
}, 120_000);
