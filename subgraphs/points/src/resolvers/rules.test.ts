import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph, type PointsSubgraph } from '../server';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
const STORE = new Types.ObjectId().toHexString();
const POS: Caller = { kind: 'pos', keyId: 'key-1', storeIds: [STORE] };
const NOW = new Date('2030-04-01T00:00:00.000Z');

let db: TestDatabase;
let subgraph: PointsSubgraph;

beforeAll(async () => {
  db = await openTestDatabase();
  subgraph = buildPointsSubgraph(testBuildOptions(db.connection, { clock: () => NOW }));
  await ensureIndexes(db.connection);
  await subgraph.apollo.start();
});
afterAll(async () => {
  await subgraph.apollo.stop();
  await db.drop();
});

async function execute(caller: Caller, query: string, variables: Record<string, unknown> = {}) {
  const contextValue = subgraph.createContext({ caller, requestId: 'test', logger: createLogger('silent') });
  const response = await subgraph.apollo.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

const CREATE_CAMPAIGN = /* GraphQL */ `
  mutation ($input: CreateCampaignInput!) {
    createCampaign(input: $input) { id name kind multiplierPercent bonusPoints minAmount storeIds channels tiers startsAt endsAt createdAt }
  }
`;

describe('rules over GraphQL', () => {
  it('creates a campaign that staff then find in campaigns and that earnPreview applies', async () => {
    const created = await execute(ADMIN, CREATE_CAMPAIGN, {
      input: { name: 'Double', kind: 'MULTIPLIER', multiplierPercent: 200, storeIds: [STORE], startsAt: NOW.toISOString(), endsAt: '2030-04-08T00:00:00.000Z' },
    });
    expect(created.errors).toBeUndefined();
    const campaign = (created.data as { createCampaign: { id: string } }).createCampaign;
    expect(campaign).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/) as unknown,
      name: 'Double',
      kind: 'MULTIPLIER',
      multiplierPercent: 200,
      bonusPoints: null,
      minAmount: 0,
      storeIds: [STORE],
      channels: [],
      tiers: [],
      startsAt: '2030-04-01T00:00:00.000Z',
      endsAt: '2030-04-08T00:00:00.000Z',
      createdAt: '2030-04-01T00:00:00.000Z',
    });

    const listed = await execute(ADMIN, '{ campaigns { id } }');
    expect(listed.data).toEqual({ campaigns: [{ id: campaign.id }] });

    const preview = await execute(POS, `query ($storeId: ID!) { earnPreview(storeId: $storeId, channel: STORE, amount: 1999) { points breakdown { basePoints campaignMultiplierPercent multiplierCampaignId campaignIds tier rounding } } }`, {
      storeId: STORE,
    });
    expect(preview.data).toEqual({
      earnPreview: {
        points: 39,
        breakdown: { basePoints: '19.99', campaignMultiplierPercent: 200, multiplierCampaignId: campaign.id, campaignIds: [campaign.id], tier: 'REGULAR', rounding: 'FLOOR' },
      },
    });
  });

  it('returns the earn rules after each rule mutation', async () => {
    const result = await execute(
      ADMIN,
      `mutation ($storeId: ID!) {
        setStoreEarnRate(input: { storeId: $storeId, ratePoints: 3 }) { storeRates { storeId channel ratePoints ratePerYen startsAt endsAt } }
        setPointsPolicy(input: { channel: ONLINE, ratePoints: 2 }) { channelRates { channel storeId ratePoints ratePerYen } }
      }`,
      { storeId: STORE },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      setStoreEarnRate: { storeRates: [{ storeId: STORE, channel: null, ratePoints: 3, ratePerYen: 100, startsAt: NOW.toISOString(), endsAt: null }] },
      setPointsPolicy: {
        channelRates: [
          { channel: 'STORE', storeId: null, ratePoints: 1, ratePerYen: 100 },
          { channel: 'ONLINE', storeId: null, ratePoints: 2, ratePerYen: 100 },
        ],
      },
    });
    const rules = await execute(POS, '{ earnRules { tiers { tier minSpend multiplierPercent } tierWindowDays signupBonusPoints } }');
    expect(rules.data).toMatchObject({ earnRules: { tierWindowDays: 365, signupBonusPoints: 100, tiers: [{ tier: 'REGULAR', minSpend: 0 }, {}, {}, {}] } });
  });

  it('shows the birthday bonus off by default and as an administrator sets it', async () => {
    expect((await execute(POS, '{ earnRules { birthdayBonusPoints } }')).data).toEqual({ earnRules: { birthdayBonusPoints: 0 } });
    const set = await execute(ADMIN, 'mutation { setPointsPolicy(input: { birthdayBonusPoints: 250 }) { birthdayBonusPoints signupBonusPoints } }');
    expect(set).toMatchObject({ data: { setPointsPolicy: { birthdayBonusPoints: 250, signupBonusPoints: 100 } } });
    const off = await execute(ADMIN, 'mutation { setPointsPolicy(input: { birthdayBonusPoints: 0 }) { birthdayBonusPoints } }');
    expect(off).toMatchObject({ data: { setPointsPolicy: { birthdayBonusPoints: 0 } } });
    const refused = await execute(POS, 'mutation { setPointsPolicy(input: { birthdayBonusPoints: 10 }) { birthdayBonusPoints } }');
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('reports bad input, refusals and unknown campaigns with their codes', async () => {
    const bad = await execute(ADMIN, CREATE_CAMPAIGN, {
      input: { name: 'Bonus', kind: 'FIXED_BONUS', bonusPoints: 10, multiplierPercent: 200, startsAt: NOW.toISOString(), endsAt: '2030-04-08T00:00:00.000Z' },
    });
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'multiplierPercent' });

    const refused = await execute(POS, 'mutation { setTierRules(tiers: []) { tierWindowDays } }');
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });

    const unknown = await execute(ADMIN, `mutation { endCampaign(id: "${new Types.ObjectId().toHexString()}") { id } }`);
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });
});
