import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The earn rules' audit as staff read it through the gateway (ruleChanges): every change to the point policy and
 * tiers, a store's rate or a campaign, newest first, with who made it and what it changed.
 */
let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  storeId = ok(await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "AUD1", name: "監査店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders())).createStore.id;
});
afterAll(async () => {
  await system?.close();
});

const AUDIT = `query($first: Int!) { ruleChanges(first: $first) { rule ruleId revision actor at action changes { field before after } } }`;

interface Change {
  rule: string;
  ruleId: string | null;
  revision: number;
  actor: string;
  at: string;
  action: string;
  changes: { field: string; before: string | null; after: string | null }[];
}

describe('ruleChanges', () => {
  it('lists the changes to campaigns, store rates and tiers newest first, with who made them and what changed', async () => {
    const admin = system.adminHeaders();
    const campaignId = ok(
      await system.graphql<{ createCampaign: { id: string } }>(
        'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        { input: { name: '週末2倍', kind: 'MULTIPLIER', multiplierPercent: 200, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() } },
        admin,
      ),
    ).createCampaign.id;
    ok(await system.graphql('mutation($s: ID!) { setStoreEarnRate(input: { storeId: $s, ratePoints: 2, ratePerYen: 100 }) { rounding } }', { s: storeId }, admin));
    ok(await system.graphql('mutation { setTierRules(tiers: [{ tier: REGULAR, minSpend: 0, multiplierPercent: 100 }, { tier: SILVER, minSpend: 30000, multiplierPercent: 150 }, { tier: GOLD, minSpend: 100000, multiplierPercent: 200 }, { tier: PLATINUM, minSpend: 300000, multiplierPercent: 300 }]) { rounding } }', {}, admin));
    ok(await system.graphql('mutation($id: ID!) { endCampaign(id: $id) { id } }', { id: campaignId }, admin));

    const changes = ok(await system.graphql<{ ruleChanges: Change[] }>(AUDIT, { first: 4 }, system.staffHeaders())).ruleChanges;
    expect(changes.map((c) => [c.rule, c.action, c.ruleId])).toEqual([
      ['CAMPAIGN', 'END_CAMPAIGN', campaignId],
      ['POINTS_POLICY', 'SET_TIER_RULES', null],
      ['STORE_EARN_RATE', 'SET_STORE_EARN_RATE', storeId],
      ['CAMPAIGN', 'CREATE_CAMPAIGN', campaignId],
    ]);
    expect(changes.every((c) => c.actor === 'staff:admin-1')).toBe(true);
    expect(changes.map((c) => c.at)).toEqual([...changes.map((c) => c.at)].sort().reverse());
    expect(changes[3]!.revision).toBe(1);
    expect(changes[0]!.revision).toBe(2);
    expect(changes[2]!.changes).toEqual(expect.arrayContaining([{ field: 'ratePoints', before: null, after: '2' }]));

    // fewer asked, the newest of them
    const newest = ok(await system.graphql<{ ruleChanges: Change[] }>(AUDIT, { first: 1 }, system.staffHeaders())).ruleChanges;
    expect(newest.map((c) => c.action)).toEqual(['END_CAMPAIGN']);
  });

  it('refuses customers, POS keys, callers without auth and first outside 1-200', async () => {
    expect((await system.graphql(AUDIT, { first: 5 }, system.customerHeaders('0123456789abcdef01234567'))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(AUDIT, { first: 5 }, await system.posHeaders([storeId]))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await system.graphql(AUDIT, { first: 5 })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // (asking for changes of 201 records is priced out by the cost limit before it gets here)
    for (const first of [0, 201]) {
      const refused = await system.graphql('query($first: Int!) { ruleChanges(first: $first) { action } }', { first }, system.staffHeaders());
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    }
  });
});
