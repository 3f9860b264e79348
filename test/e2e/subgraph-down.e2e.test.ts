import { startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * The gateway with one subgraph down (its port no longer answers, as if its process had died): a query gets what
 * the other subgraphs can give, with an error in place of the rest; the gateway keeps serving and stays ready
 * (degraded), naming the subgraph that is down until it is back.
 */
/** The error a client finds at the path of each field the missing subgraph would have answered. */
const unavailableAt = (...path: string[]) => ({
  message: 'A service needed to answer part of this query is unavailable; try again shortly',
  path,
  extensions: { code: 'SERVICE_UNAVAILABLE' },
});

interface Readiness {
  status: number;
  body: unknown;
}

let system: TestSystem;
let memberId: string;

async function ready(): Promise<Readiness> {
  const response = await fetch(system.gatewayUrl.replace(/\/graphql$/, '/ready'));
  return { status: response.status, body: await response.json() };
}

/** What a client sees: data and errors, nothing else (no stack, no address, no service name). */
function seen(response: GraphQLResponse) {
  return { status: response.status, data: response.data, errors: response.errors };
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  const registered = await system.graphql<{ registerMember: { id: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
    { input: { displayName: '停電中', email: 'outage@example.com', registeredVia: 'ONLINE' } },
    system.staffHeaders(),
  );
  memberId = registered.data!.registerMember.id;
});
afterAll(() => system.close());

describe('while points is down', () => {
  beforeAll(() => system.stop('points'));
  afterAll(() => system.restart('points'));

  it('answers the parts of a query other subgraphs serve, with SERVICE_UNAVAILABLE at the path of the points', async () => {
    const response = await system.graphql(
      'query($id: ID!) { profile: member(id: $id) { displayName email } account: member(id: $id) { points { balance } } }',
      { id: memberId },
      system.staffHeaders(),
    );
    expect(seen(response)).toEqual({
      status: 200,
      data: { profile: { displayName: '停電中', email: 'outage@example.com' }, account: { points: null } },
      errors: [unavailableAt('account', 'points')],
    });
  });

  it('keeps the member when its points are asked for in the same selection: only Member.points is null', async () => {
    const response = await system.graphql('query($id: ID!) { member(id: $id) { displayName points { balance } } }', { id: memberId }, system.staffHeaders());
    expect(seen(response)).toEqual({ status: 200, data: { member: { displayName: '停電中', points: null } }, errors: [unavailableAt('member', 'points')] });
  });

  it('refuses a points mutation with SERVICE_UNAVAILABLE and writes nothing', async () => {
    const before = await system.db.collection('point_ledger').countDocuments();
    const response = await system.graphql(
      'mutation($id: ID!) { adjustPoints(memberId: $id, amount: 10, reason: "outage", idempotencyKey: "outage-1") { account { balance } } }',
      { id: memberId },
      system.staffHeaders(),
    );
    expect(seen(response)).toEqual({ status: 200, data: null, errors: [unavailableAt('adjustPoints')] });
    expect(await system.db.collection('point_ledger').countDocuments()).toBe(before);
  });

  it('keeps answering, in full, queries that do not need points', async () => {
    const queries = Array.from({ length: 20 }, (_, i) =>
      system.graphql(
        'query($id: ID!) { member(id: $id) { displayName purchaseSummary { count } } stores { id } }',
        { id: memberId },
        i % 2 === 0 ? system.staffHeaders() : system.customerHeaders(memberId),
      ),
    );
    for (const response of await Promise.all(queries)) {
      expect(seen(response)).toEqual({
        status: 200,
        data: { member: { displayName: '停電中', purchaseSummary: { count: 0 } }, stores: [] },
        errors: undefined,
      });
    }
  });

  it('stays ready on /ready (HTTP 200, degraded) naming points down and the others up: it still serves their fields', async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'degraded', subgraphs: { members: 'up', points: 'down', purchases: 'up', line: 'up' } },
    });
  });
});

describe('while line is down', () => {
  beforeAll(() => system.stop('line'));
  afterAll(() => system.restart('line'));

  it('answers a member with its own fields and its points, and null for its LINE account with SERVICE_UNAVAILABLE there', async () => {
    const response = await system.graphql(
      'query($id: ID!) { member(id: $id) { displayName lineAccount { displayName } points { balance } } }',
      { id: memberId },
      system.staffHeaders(),
    );
    expect(seen(response)).toEqual({
      status: 200,
      data: { member: { displayName: '停電中', lineAccount: null, points: { balance: 100 } } },
      errors: [unavailableAt('member', 'lineAccount')],
    });
  });

  it('stays ready on /ready (HTTP 200, degraded) naming line down and the others up: it still serves their fields', async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'degraded', subgraphs: { members: 'up', points: 'up', purchases: 'up', line: 'down' } },
    });
  });
});

describe('while every subgraph is down', () => {
  const all = ['members', 'points', 'purchases', 'line'] as const;
  beforeAll(async () => {
    for (const name of all) await system.stop(name);
  });
  afterAll(async () => {
    for (const name of all) await system.restart(name);
  });

  it('reports on /ready with HTTP 503 that it can answer nothing', async () => {
    expect(await ready()).toEqual({
      status: 503,
      body: { status: 'unavailable', subgraphs: { members: 'down', points: 'down', purchases: 'down', line: 'down' } },
    });
  });
});

describe('once every subgraph is back', () => {
  it('reports ready on /ready with HTTP 200', async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'ready', subgraphs: { members: 'up', points: 'up', purchases: 'up', line: 'up' } },
    });
  });

  it('answers the query that failed in full, through the same gateway', async () => {
    const response = await system.graphql('query($id: ID!) { member(id: $id) { displayName points { balance } } }', { id: memberId }, system.staffHeaders());
    expect(seen(response)).toEqual({ status: 200, data: { member: { displayName: '停電中', points: { balance: 100 } } }, errors: undefined });
  });

  it('accepts the points mutation refused during the outage, under the same idempotency key', async () => {
    const response = await system.graphql<{ adjustPoints: { account: { balance: number } } }>(
      'mutation($id: ID!) { adjustPoints(memberId: $id, amount: 10, reason: "outage", idempotencyKey: "outage-1") { account { balance } } }',
      { id: memberId },
      system.staffHeaders(),
    );
    expect(seen(response)).toEqual({ status: 200, data: { adjustPoints: { account: { balance: 110 } } }, errors: undefined });
  });
});

describe('a purchase recorded while points is down', () => {
  beforeAll(() => system.stop('points'));
  afterAll(() => system.restart('points'));

  // Purchase.pointsEarned and Member.points are nullable for this: the register gets the purchase it recorded
  // (PENDING_POINTS, settled later) with only the points fields null.
  it('answers a purchase recorded meanwhile with its id and PENDING_POINTS, and null for its points', async () => {
    const stores = await system.db.collection('stores').insertMany([{ code: 'S900', name: '停電店', kind: 'PHYSICAL' }]);
    const storeId = stores.insertedIds[0]!.toHexString();
    const registered = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: '停電客', email: 'outage-customer@example.com', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    );
    const response = await system.graphql(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status pointsEarned member { displayName points { balance } } } }',
      {
        input: {
          idempotencyKey: 'outage-purchase-1',
          storeId,
          memberCode: registered.data!.registerMember.memberCode,
          lines: [{ sku: 'TEA-01', name: '煎茶', unitPrice: 1000, quantity: 1 }],
          total: 1000,
        },
      },
      await system.posHeaders([storeId]),
    );
    expect(seen(response)).toEqual({
      status: 200,
      data: { recordPurchase: { status: 'PENDING_POINTS', pointsEarned: null, member: { displayName: '停電客', points: null } } },
      errors: [unavailableAt('recordPurchase', 'pointsEarned'), unavailableAt('recordPurchase', 'member', 'points')],
    });
  });
});
