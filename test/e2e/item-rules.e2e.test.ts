import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * Item rules through the gateway (docs/item-rules.md): per-line earning by category and sku, gift cards excluded by
 * default, EXCLUDE lines out of the tier spend, earnPreview's per-line breakdown, and the segment "bought in a
 * category". Points by the default policy: 1 point per 100 yen, FLOOR, REGULAR ×100%, store points usable at once.
 */

const LINE_FIELDS = 'sku category amount basePoints rule multiplierPercent itemRuleIds bonusPoints points';
const BREAKDOWN_FIELDS = `amount earningAmount campaignMultiplierPercent multiplierCampaignId bonusPoints points lines { ${LINE_FIELDS} }`;
const RECORD = /* GraphQL */ `
  mutation($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) {
      id status amountPaid pointsEarned pointsRedeemed
      pointTransactions { type earnBreakdown { ${BREAKDOWN_FIELDS} } }
    }
  }
`;
const PREVIEW = /* GraphQL */ `
  query($storeId: ID!, $amount: Int!, $memberId: ID, $lines: [EarnLineInput!]) {
    earnPreview(storeId: $storeId, channel: STORE, amount: $amount, memberId: $memberId, lines: $lines) { points breakdown { ${BREAKDOWN_FIELDS} } }
  }
`;
const CREATE_RULE = /* GraphQL */ `
  mutation($input: CreateItemRuleInput!) { createItemRule(input: $input) { id action categories skus revision } }
`;

interface Breakdown {
  amount: number;
  earningAmount: number;
  points: number;
  lines: { sku: string; rule: string; points: number; itemRuleIds: string[] }[];
}
interface Recorded {
  recordPurchase: { id: string; status: string; amountPaid: number; pointsEarned: number; pointsRedeemed: number; pointTransactions: { type: string; earnBreakdown: Breakdown | null }[] };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let system: TestSystem;
let store: string;
let otherStore: string;
let teaRule: string;
let tobaccoRule: string;
let cupBonusRule: string;
let campaign: string;

async function createStore(code: string): Promise<string> {
  return ok(await system.graphql<{ createStore: { id: string } }>(`mutation { createStore(input: { code: "${code}", name: "${code}", kind: PHYSICAL }) { id } }`, {}, system.adminHeaders())).createStore.id;
}

let members = 0;
async function register(): Promise<string> {
  members += 1;
  const input = { displayName: `会員${members}`, email: `item-rules-${members}@example.com`, registeredVia: 'STORE', registeredStoreId: store };
  const id = ok(await system.graphql<{ registerMember: { id: string } }>('mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }', { input }, system.adminHeaders())).registerMember.id;
  // segments are of members with a LINE account: linked as line-segments.e2e.test.ts links them
  await system.db.collection<{ _id: string; memberId: string; linkedAt: Date; friendStatus: string }>('line_links').insertOne({ _id: `U${id}`, memberId: id, linkedAt: new Date(), friendStatus: 'FRIEND' });
  return id;
}

async function createRule(input: Record<string, unknown>): Promise<string> {
  return ok(await system.graphql<{ createItemRule: { id: string } }>(CREATE_RULE, { input }, system.adminHeaders())).createItemRule.id;
}

type Line = { sku: string; name: string; unitPrice: number; quantity: number; category?: string };
async function record(key: string, input: { storeId: string; memberId: string; lines: Line[]; discount?: number; pointsToRedeem?: number; occurredAt?: Date }): Promise<Recorded['recordPurchase']> {
  const subtotal = input.lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  const discount = input.discount ?? 0;
  const variables = {
    input: {
      idempotencyKey: key,
      storeId: input.storeId,
      memberId: input.memberId,
      lines: input.lines,
      discount,
      total: subtotal - discount,
      pointsToRedeem: input.pointsToRedeem ?? 0,
      ...(input.occurredAt ? { occurredAt: input.occurredAt.toISOString() } : {}),
    },
  };
  return ok(await system.graphql<Recorded>(RECORD, variables, system.staffHeaders())).recordPurchase;
}

const earnOf = (purchase: Recorded['recordPurchase']) => purchase.pointTransactions.find((t) => t.type === 'EARN')?.earnBreakdown;

const BASKET: Line[] = [
  { sku: 'GIFT-5000', name: 'ギフトカード 5,000円', unitPrice: 5000, quantity: 1, category: 'gift-card' },
  { sku: 'TEA-01', name: '有機ほうじ茶', unitPrice: 1280, quantity: 2, category: 'tea' },
  { sku: 'CUP-01', name: '信楽焼 湯呑み', unitPrice: 3300, quantity: 1, category: 'tableware' },
  { sku: 'TOB-01', name: 'たばこ', unitPrice: 600, quantity: 1, category: 'tobacco' },
];

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  store = await createStore('IR01');
  otherStore = await createStore('IR02');
  const now = Date.now();
  const window = { startsAt: new Date(now - HOUR).toISOString(), endsAt: new Date(now + 30 * DAY).toISOString() };
  // double points on tea, at the first store only
  teaRule = await createRule({ name: 'お茶ポイント2倍', action: 'MULTIPLIER', multiplierPercent: 200, categories: ['Tea'], storeIds: [store], ...window });
  tobaccoRule = await createRule({ name: 'たばこ対象外', action: 'EXCLUDE', skus: ['TOB-01'], ...window });
  cupBonusRule = await createRule({ name: '湯呑み 10ポイント', action: 'FIXED_BONUS', bonusPointsPerUnit: 10, skus: ['CUP-01'], ...window });
  // ×5 on tableware, but only from tomorrow: it does not apply today
  await createRule({ name: '器フェア', action: 'MULTIPLIER', multiplierPercent: 500, categories: ['tableware'], startsAt: new Date(now + DAY).toISOString(), endsAt: new Date(now + 30 * DAY).toISOString() });
  campaign = ok(
    await system.graphql<{ createCampaign: { id: string } }>(
      'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
      { input: { name: '全品1.5倍', kind: 'MULTIPLIER', multiplierPercent: 150, ...window } },
      system.adminHeaders(),
    ),
  ).createCampaign.id;
});
afterAll(() => system.close());

describe('a basket with a gift card and a double-points category', () => {
  it('earns per line exactly as documented, previewed the same, and leaves excluded lines out of the tier spend', async () => {
    const member = await register();
    // Subtotal 5000 + 2×1280 + 3300 + 600 = 11460; discount 460 → total 11000; 100 points redeemed → 10900 yen earn.
    // Shares of 10900 by value, floored cumulatively: floor(10900×5000/11460) = 4755, floor(10900×7560/11460) = 7190,
    // floor(10900×10860/11460) = 10329, 10900 → gift 4755, tea 2435, cup 3139, tobacco 571.
    // gift card: excluded by the policy's default; tobacco: EXCLUDE rule → 0 points, not tier spend.
    // tea: item ×200% beats the campaign's ×150% → 24.35 × 2 = 48.70; cup: the campaign's ×150% (the ×500% rule
    // starts tomorrow) → 31.39 × 1.5 = 47.085. Rounded once, cumulatively: floor(48.70) = 48 → tea 48;
    // floor(48.70 + 47.085 = 95.785) = 95 → cup 47, plus its bonus 10 × 1 = 57. Total 48 + 57 = 105.
    const lines = [
      { sku: 'GIFT-5000', category: 'gift-card', amount: 4755, basePoints: '47.55', rule: 'EXCLUDED', multiplierPercent: 0, itemRuleIds: [], bonusPoints: 0, points: 0 },
      { sku: 'TEA-01', category: 'tea', amount: 2435, basePoints: '24.35', rule: 'ITEM_RULE', multiplierPercent: 200, itemRuleIds: [teaRule], bonusPoints: 0, points: 48 },
      { sku: 'CUP-01', category: 'tableware', amount: 3139, basePoints: '31.39', rule: 'CAMPAIGN', multiplierPercent: 150, itemRuleIds: [cupBonusRule], bonusPoints: 10, points: 57 },
      { sku: 'TOB-01', category: 'tobacco', amount: 571, basePoints: '5.71', rule: 'EXCLUDED', multiplierPercent: 0, itemRuleIds: [tobaccoRule], bonusPoints: 0, points: 0 },
    ];
    const breakdown = { amount: 10900, earningAmount: 5574, campaignMultiplierPercent: 150, multiplierCampaignId: campaign, bonusPoints: 0, points: 105, lines };

    const preview = ok(
      await system.graphql<{ earnPreview: { points: number; breakdown: Breakdown } }>(
        PREVIEW,
        { storeId: store, amount: 10900, memberId: member, lines: BASKET.map(({ sku, category, unitPrice, quantity }) => ({ sku, category, unitPrice, quantity })) },
        system.staffHeaders(),
      ),
    ).earnPreview;
    expect(preview).toEqual({ points: 105, breakdown });

    const purchase = await record('basket-1', { storeId: store, memberId: member, lines: BASKET, discount: 460, pointsToRedeem: 100 });
    expect({ status: purchase.status, amountPaid: purchase.amountPaid, pointsEarned: purchase.pointsEarned, pointsRedeemed: purchase.pointsRedeemed }).toEqual({
      status: 'COMPLETED',
      amountPaid: 10900,
      pointsEarned: 105,
      pointsRedeemed: 100,
    });
    expect(earnOf(purchase)).toEqual(breakdown);

    // what the member sees: 100 sign-up − 100 redeemed + 105; only tea and the cup (2435 + 3139) count toward SILVER
    const account = ok(await system.graphql<{ me: { points: unknown } }>('{ me { points { balance tierProgress { qualifyingSpend spendToNextTier } } } }', {}, system.customerHeaders(member))).me.points;
    expect(account).toEqual({ balance: 105, tierProgress: { qualifyingSpend: 5574, spendToNextTier: 50_000 - 5574 } });
  });

  it('a purchase of a gift card alone earns nothing, campaign included, and adds no tier spend', async () => {
    const member = await register();
    const purchase = await record('gift-only', { storeId: store, memberId: member, lines: [BASKET[0]!] });
    expect({ pointsEarned: purchase.pointsEarned, earningAmount: earnOf(purchase)?.earningAmount, multiplier: earnOf(purchase)?.lines[0]?.rule }).toEqual({ pointsEarned: 0, earningAmount: 0, multiplier: 'EXCLUDED' });
    const account = ok(await system.graphql<{ me: { points: unknown } }>('{ me { points { balance tierProgress { qualifyingSpend } } } }', {}, system.customerHeaders(member))).me.points;
    expect(account).toEqual({ balance: 100, tierProgress: { qualifyingSpend: 0 } });
  });
});

describe("an item rule's scope", () => {
  it('does not apply at another store: tea there earns the campaign only', async () => {
    const member = await register();
    // 2 × 1280 = 2560 yen × 150% / 100 = 38.4 → 38
    const purchase = await record('other-store', { storeId: otherStore, memberId: member, lines: [BASKET[1]!] });
    expect(earnOf(purchase)?.lines).toEqual([expect.objectContaining({ sku: 'TEA-01', rule: 'CAMPAIGN', itemRuleIds: [], points: 38 })]);
    expect(purchase.pointsEarned).toBe(38);
  });

  it('does not apply to a purchase made before its start, even recorded later', async () => {
    const member = await register();
    // two hours ago neither the tea rule (from an hour ago) nor the campaign was in force: 2560 / 100 = 25.6 → 25
    const purchase = await record('before-start', { storeId: store, memberId: member, lines: [BASKET[1]!], occurredAt: new Date(Date.now() - 2 * HOUR) });
    expect(earnOf(purchase)?.lines).toEqual([expect.objectContaining({ sku: 'TEA-01', rule: 'NONE', multiplierPercent: 100, points: 25 })]);
    expect(purchase.pointsEarned).toBe(25);
  });
});

describe('the segment "bought tea in the last 30 days"', () => {
  it('previews the exact count of members whose completed purchases had a tea line in the window', async () => {
    const previewCount = async () =>
      ok(
        await system.graphql<{ segmentPreview: { memberCount: number } }>(
          'query($d: SegmentDefinitionInput) { segmentPreview(definition: $d) { memberCount } }',
          { d: { boughtCategory: { categories: ['TEA'], window: { fromDaysAgo: 30 } } } },
          system.staffHeaders(),
        ),
      ).segmentPreview.memberCount;
    // so far: the basket, the other store and the purchase two hours ago bought tea; the gift card's member did not
    expect(await previewCount()).toBe(3);

    const longAgo = await register();
    await record('tea-40-days', { storeId: store, memberId: longAgo, lines: [BASKET[1]!], occurredAt: new Date(Date.now() - 40 * DAY) });
    const cupOnly = await register();
    await record('cup-only', { storeId: store, memberId: cupOnly, lines: [BASKET[2]!] });
    expect(await previewCount()).toBe(3);

    const recent = await register();
    await record('tea-10-days', { storeId: otherStore, memberId: recent, lines: [{ ...BASKET[1]!, category: 'Ｔｅａ ' }], occurredAt: new Date(Date.now() - 10 * DAY) });
    expect(await previewCount()).toBe(4);
  });
});

describe('a refund of a purchase with excluded lines', () => {
  it('takes back only the spend the purchase counted, so the full refund leaves the other purchases\' spend whole', async () => {
    const member = await register();
    await record('spend-before', { storeId: otherStore, memberId: member, lines: [BASKET[2]!] });
    // gift card 5000 + tea 2560: only the tea's 2560 yen counted → 3300 + 2560
    const purchase = await record('refund-me', { storeId: store, memberId: member, lines: [BASKET[0]!, BASKET[1]!] });
    const spend = async () => ok(await system.graphql<{ me: { points: { tierProgress: { qualifyingSpend: number } } } }>('{ me { points { tierProgress { qualifyingSpend } } } }', {}, system.customerHeaders(member))).me.points.tierProgress.qualifyingSpend;
    expect(await spend()).toBe(5860);

    const refunded = ok(
      await system.graphql<{ refundPurchase: { status: string; pointsEarned: number } }>(
        'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { status pointsEarned } }',
        { input: { purchaseId: purchase.id, idempotencyKey: 'refund-all', lines: [{ sku: 'GIFT-5000', quantity: 1 }, { sku: 'TEA-01', quantity: 2 }] } },
        system.staffHeaders(),
      ),
    ).refundPurchase;
    expect(refunded).toEqual({ status: 'REFUNDED', pointsEarned: 0 });
    // 2560 taken back, not the refund's 7560 yen
    expect(await spend()).toBe(3300);
  });
});

describe('a refund of some lines', () => {
  const REFUND = 'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { status pointsEarned pointsRedeemed } }';
  async function refund(purchaseId: string, key: string, lines: { sku: string; quantity: number }[]) {
    return ok(await system.graphql<{ refundPurchase: { status: string; pointsEarned: number; pointsRedeemed: number } }>(REFUND, { input: { purchaseId, idempotencyKey: key, lines } }, system.staffHeaders())).refundPurchase;
  }
  async function account(member: string) {
    const points = ok(await system.graphql<{ me: { points: { balance: number; tierProgress: { qualifyingSpend: number } } } }>('{ me { points { balance tierProgress { qualifyingSpend } } } }', {}, system.customerHeaders(member))).me.points;
    return { balance: points.balance, spend: points.tierProgress.qualifyingSpend };
  }

  it('takes back the points and the tier spend of the lines returned: none for the gift card, the cup\'s exactly', async () => {
    const member = await register();
    // the documented basket: 105 points (tea 48, cup 57, gift card and tobacco 0), 5,574 yen of tier spend
    const purchase = await record('refund-lines', { storeId: store, memberId: member, lines: BASKET, discount: 460, pointsToRedeem: 100 });
    expect({ pointsEarned: purchase.pointsEarned, ...(await account(member)) }).toEqual({ pointsEarned: 105, balance: 105, spend: 5574 });

    // the unused gift card back: it earned nothing and counted no spend, so neither moves. Its share of the 100
    // points it was partly paid with comes back, as refunds of redeemed points always have (by the yen):
    // the gift card's value floor(11000 × 5000 ÷ 11460) = 4799 yen of 11000 → floor(100 × 4799 ÷ 11000) = 43
    expect(await refund(purchase.id, 'gift-back', [{ sku: 'GIFT-5000', quantity: 1 }])).toEqual({ status: 'PARTIALLY_REFUNDED', pointsEarned: 105, pointsRedeemed: 57 });
    expect(await account(member)).toEqual({ balance: 105 + 43, spend: 5574 });

    // the cup back: its 47 points and its 10-point bonus, and its 3,139 yen share of the spend
    expect(await refund(purchase.id, 'cup-back', [{ sku: 'CUP-01', quantity: 1 }])).toMatchObject({ status: 'PARTIALLY_REFUNDED', pointsEarned: 48 });
    expect((await account(member)).spend).toBe(5574 - 3139);

    // the rest: nothing earned is left, nor any spend, and every redeemed point is back
    expect(await refund(purchase.id, 'rest-back', [{ sku: 'TEA-01', quantity: 2 }, { sku: 'TOB-01', quantity: 1 }])).toEqual({ status: 'REFUNDED', pointsEarned: 0, pointsRedeemed: 0 });
    expect(await account(member)).toEqual({ balance: 100, spend: 0 });
  });

  it('takes back a line unit by unit with its bonus per unit, the last unit what the first ones left', async () => {
    const member = await register();
    // gift card 5,000 + 3 cups of 3,300: the cups' share is 9,900 yen → 99 × 150% = 148.5 → 148, plus 3 × 10 = 178
    const purchase = await record('cups', { storeId: store, memberId: member, lines: [BASKET[0]!, { ...BASKET[2]!, quantity: 3 }] });
    expect({ pointsEarned: purchase.pointsEarned, ...(await account(member)) }).toEqual({ pointsEarned: 178, balance: 100 + 178, spend: 9900 });
    // one cup: floor(148 × 1 ÷ 3) = 49 + 10; two: floor(148 × 2 ÷ 3) = 98 + 20 (so 59 again); three: 148 + 30 (60)
    expect((await refund(purchase.id, 'cup-1', [{ sku: 'CUP-01', quantity: 1 }])).pointsEarned).toBe(178 - 59);
    expect(await account(member)).toEqual({ balance: 100 + 119, spend: 6600 });
    expect((await refund(purchase.id, 'cup-2', [{ sku: 'CUP-01', quantity: 1 }])).pointsEarned).toBe(119 - 59);
    expect(await account(member)).toEqual({ balance: 100 + 60, spend: 3300 });
    expect((await refund(purchase.id, 'cup-3', [{ sku: 'CUP-01', quantity: 1 }])).pointsEarned).toBe(0);
    expect(await account(member)).toEqual({ balance: 100, spend: 0 });
  });
});

describe('managing item rules and the excluded categories', () => {
  it('refuses a rule that matches nothing and writes nothing', async () => {
    const count = async () => ok(await system.graphql<{ itemRules: unknown[] }>('{ itemRules(all: true) { id } }', {}, system.staffHeaders())).itemRules.length;
    const before = await count();
    const refused = await system.graphql(CREATE_RULE, { input: { name: '空', action: 'EXCLUDE', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + DAY).toISOString() } }, system.adminHeaders());
    expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'categories']]);
    expect(await count()).toBe(before);
  });

  it('changes a rule by revisions, ends it, and refuses changes to a rule that is over', async () => {
    const id = await createRule({ name: '試験', action: 'MULTIPLIER', multiplierPercent: 150, skus: ['NOTHING-1'], startsAt: new Date(Date.now() - HOUR).toISOString(), endsAt: new Date(Date.now() + DAY).toISOString() });
    const updated = ok(await system.graphql<{ updateItemRule: unknown }>('mutation($id: ID!) { updateItemRule(id: $id, input: { multiplierPercent: 300, categories: [" Sweets "] }) { revision multiplierPercent categories skus } }', { id }, system.adminHeaders())).updateItemRule;
    expect(updated).toEqual({ revision: 2, multiplierPercent: 300, categories: ['sweets'], skus: ['NOTHING-1'] });
    const ended = ok(await system.graphql<{ endItemRule: { revision: number; endsAt: string } }>('mutation($id: ID!) { endItemRule(id: $id) { revision endsAt } }', { id }, system.adminHeaders())).endItemRule;
    expect(ended.revision).toBe(3);
    expect(new Date(ended.endsAt).getTime()).toBeLessThanOrEqual(Date.now());
    const active = ok(await system.graphql<{ itemRules: { id: string }[] }>('{ itemRules { id } }', {}, system.staffHeaders())).itemRules.map((r) => r.id);
    expect(active).not.toContain(id);
    const late = await system.graphql('mutation($id: ID!) { updateItemRule(id: $id, input: { name: "x" }) { id } }', { id }, system.adminHeaders());
    expect(late.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('lets an administrator change the excluded categories: then a gift card earns like any line', async () => {
    const rules = ok(await system.graphql<{ setPointsPolicy: { excludedCategories: string[] } }>('mutation { setPointsPolicy(input: { excludedCategories: ["Shipping"] }) { excludedCategories } }', {}, system.adminHeaders())).setPointsPolicy;
    expect(rules).toEqual({ excludedCategories: ['shipping'] });
    const member = await register();
    // 5000 × the campaign's 150% / 100 = 75
    const purchase = await record('gift-earns', { storeId: store, memberId: member, lines: [BASKET[0]!] });
    expect({ pointsEarned: purchase.pointsEarned, rule: earnOf(purchase)?.lines[0]?.rule }).toEqual({ pointsEarned: 75, rule: 'CAMPAIGN' });
  });
});
