import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { Types } from 'mongoose';
import { REPO_ROOT } from '@omo/lib/core/config';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * Every root field of the supergraph, run as every kind of caller, through the gateway: the role matrix of
 * docs/architecture.md as a test. A cell is ALLOWED (no UNAUTHENTICATED or FORBIDDEN error: the input is chosen so
 * that an allowed caller changes nothing, or only what the row says) or the exact code the caller gets. A root field
 * added to the schema without its row fails the first test.
 */

type CallerName = 'anonymous' | 'customerSelf' | 'customerOther' | 'staff' | 'admin' | 'posOwnStore' | 'posOtherStore' | 'withdrawn' | 'mergedAway';
const CALLERS: CallerName[] = ['anonymous', 'customerOther', 'staff', 'admin', 'posOwnStore', 'posOtherStore', 'withdrawn', 'mergedAway', 'customerSelf'];
const ALLOWED = 'ALLOWED';
type Outcome = typeof ALLOWED | 'UNAUTHENTICATED' | 'FORBIDDEN';

interface Fixtures {
  ownStore: string;
  otherStore: string;
  /** The member a customer caller is (the merged-away caller acts as `survivor`). */
  self: (caller: CallerName) => { id: string; code: string };
  purchase: string;
}

interface Row {
  query: string;
  variables: (f: Fixtures, caller: CallerName) => Record<string, unknown>;
  /** Per caller; a caller not named gets `otherwise`. */
  expect: Partial<Record<CallerName, Outcome>> & { otherwise: Outcome };
}

const U = 'UNAUTHENTICATED' as const;
const F = 'FORBIDDEN' as const;
const A = ALLOWED;
const unknownId = () => new Types.ObjectId().toHexString();
/** Who may call what, in the callers' terms. */
const signedIn = { otherwise: A, anonymous: U, withdrawn: U } as const;
const staffOnly = { otherwise: F, anonymous: U, withdrawn: U, staff: A, admin: A } as const;
const adminOnly = { otherwise: F, anonymous: U, withdrawn: U, admin: A } as const;
const customersOnly = { otherwise: F, anonymous: U, withdrawn: U, customerSelf: A, customerOther: A, mergedAway: A } as const;
/** Staff, and POS keys at their own stores. */
const registers = { otherwise: F, anonymous: U, withdrawn: U, staff: A, admin: A, posOwnStore: A } as const;
/** A member's own data: the member, staff and POS keys. */
const ownData = { otherwise: A, anonymous: U, withdrawn: U, customerOther: F } as const;
const definition = { tier: ['GOLD'] };

const ROWS: Record<string, Row> = {
  // --- Query
  segment: { query: 'query($id: ID!) { segment(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  segments: { query: '{ segments { id } }', variables: () => ({}), expect: staffOnly },
  segmentPreview: { query: 'query($d: SegmentDefinitionInput) { segmentPreview(definition: $d) { __typename } }', variables: () => ({ d: definition }), expect: staffOnly },
  notificationRules: { query: '{ notificationRules { kind } }', variables: () => ({}), expect: staffOnly },
  messageDelivery: { query: 'query($id: ID!) { messageDelivery(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  // POS keys name members by the card (memberByCode), not by id
  member: { query: 'query($id: ID!) { member(id: $id) { id } }', variables: (f, c) => ({ id: f.self(c === 'customerOther' ? 'customerSelf' : c).id }), expect: { ...ownData, posOwnStore: F, posOtherStore: F } },
  memberByCode: { query: 'query($code: String!) { memberByCode(code: $code) { id } }', variables: (f, c) => ({ code: f.self(c === 'customerOther' ? 'customerSelf' : c).code }), expect: ownData },
  me: { query: '{ me { id } }', variables: () => ({}), expect: signedIn },
  findMembers: { query: '{ findMembers(email: "nobody@example.com") { id } }', variables: () => ({}), expect: staffOnly },
  memberDuplicates: { query: '{ memberDuplicates(first: 5) { id } }', variables: () => ({}), expect: staffOnly },
  apiKeys: { query: '{ apiKeys { id } }', variables: () => ({}), expect: adminOnly },
  webhookSubscriptions: { query: '{ webhookSubscriptions { id } }', variables: () => ({}), expect: staffOnly },
  webhookDeliveries: { query: 'query($id: ID!) { webhookDeliveries(subscriptionId: $id) { nextCursor } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  earnPreview: {
    query: 'query($s: ID!, $code: String) { earnPreview(storeId: $s, channel: STORE, amount: 1000, memberCode: $code) { points } }',
    variables: (f, c) => ({ s: f.ownStore, code: f.self(c).code }),
    // naming a card is for registers and staff; a customer previews without one
    expect: { ...registers },
  },
  campaigns: { query: '{ campaigns { id } }', variables: () => ({}), expect: staffOnly },
  campaign: { query: 'query($id: ID!) { campaign(id: $id) { id } }', variables: () => ({ id: '0123456789abcdef01234567' }), expect: staffOnly },
  itemRules: { query: '{ itemRules { id } }', variables: () => ({}), expect: staffOnly },
  earnRules: { query: '{ earnRules { rounding } }', variables: () => ({}), expect: { ...staffOnly, posOwnStore: A, posOtherStore: A } },
  // staff see the catalogue, a customer what they may redeem; registers read coupons by code, not rewards
  rewards: { query: '{ rewards { id } }', variables: () => ({}), expect: { ...customersOnly, staff: A, admin: A } },
  ruleChanges: { query: '{ ruleChanges(first: 5) { action } }', variables: () => ({}), expect: staffOnly },
  rewardChanges: { query: 'query($id: ID!) { rewardChanges(rewardId: $id) { revision } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  // an unknown code: NOT_FOUND for every register (a key at other stores is told the same of a real one)
  couponByCode: { query: '{ couponByCode(code: "NOSUCHCODE234567") { id } }', variables: () => ({}), expect: { ...registers, posOtherStore: A } },
  stores: { query: '{ stores { id } }', variables: () => ({}), expect: signedIn },
  store: { query: 'query($id: ID!) { store(id: $id) { id } }', variables: (f) => ({ id: f.ownStore }), expect: signedIn },
  purchase: { query: 'query($id: ID!) { purchase(id: $id) { id } }', variables: (f) => ({ id: f.purchase }), expect: { ...ownData, posOtherStore: F, mergedAway: F } },
  purchasesNeedingAttention: { query: '{ purchasesNeedingAttention(first: 5) { nodes { id } } }', variables: () => ({}), expect: staffOnly },
  smaregiEvents: { query: '{ smaregiEvents(first: 5) { nodes { id } } }', variables: () => ({}), expect: staffOnly },
  smaregiPointPushesOutOfStep: { query: '{ smaregiPointPushesOutOfStep { id } }', variables: () => ({}), expect: staffOnly },
  pointsLiability: { query: '{ pointsLiability { outstandingPoints } }', variables: () => ({}), expect: staffOnly },
  pointsActivity: {
    query: 'query($from: DateTime!, $to: DateTime!) { pointsActivity(from: $from, to: $to) { earned } }',
    variables: () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }),
    expect: staffOnly,
  },
  membersByChannel: {
    query: 'query($from: DateTime!, $to: DateTime!) { membersByChannel(from: $from, to: $to) { both } }',
    variables: () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() }),
    expect: staffOnly,
  },
  // --- Mutation (inputs an allowed caller is refused for with BAD_USER_INPUT or NOT_FOUND, so nothing changes)
  issueLineLinkCode: { query: 'mutation { issueLineLinkCode { expiresAt } }', variables: () => ({}), expect: customersOnly },
  unlinkLineAccount: { query: 'mutation($id: ID) { unlinkLineAccount(memberId: $id) }', variables: (f, c) => ({ id: f.self(c === 'customerOther' ? 'customerSelf' : c).id }), expect: { ...ownData, posOwnStore: F, posOtherStore: F } },
  createSegment: { query: 'mutation($d: SegmentDefinitionInput!) { createSegment(input: { name: "", definition: $d }) { id } }', variables: () => ({ d: definition }), expect: staffOnly },
  updateSegment: { query: 'mutation($id: ID!) { updateSegment(id: $id, input: { name: "x" }) { id } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  deleteSegment: { query: 'mutation($id: ID!) { deleteSegment(id: $id) }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  sendSegmentMessage: {
    query: 'mutation($d: SegmentDefinitionInput, $k: String!) { sendSegmentMessage(input: { definition: $d, messages: [], idempotencyKey: $k, dryRun: true }) { id } }',
    variables: () => ({ d: definition, k: randomUUID() }),
    expect: staffOnly,
  },
  cancelDelivery: { query: 'mutation($id: ID!) { cancelDelivery(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: staffOnly },
  setNotificationRule: { query: 'mutation { setNotificationRule(input: { kind: TIER_UP }) { kind } }', variables: () => ({}), expect: adminOnly },
  registerMember: {
    // a real registration at the own store: what an allowed caller does
    query: 'mutation($s: ID, $e: String) { registerMember(input: { displayName: "登録", email: $e, registeredVia: STORE, registeredStoreId: $s }) { id } }',
    variables: (f) => ({ s: f.ownStore, e: `${randomUUID()}@example.com` }),
    expect: registers,
  },
  updateMember: {
    query: 'mutation($id: ID!) { updateMember(id: $id, input: { displayName: "" }) { id } }',
    variables: (f, c) => ({ id: f.self(c === 'customerOther' ? 'customerSelf' : c).id }),
    expect: { ...ownData, posOwnStore: F, posOtherStore: F },
  },
  // an unknown flag: NOT_FOUND for staff, so an allowed caller changes nothing
  dismissMemberDuplicate: { query: 'mutation { dismissMemberDuplicate(id: "nosuchflag") { id } }', variables: () => ({}), expect: adminOnly },
  pushSmaregiPointsAgain: { query: 'mutation { pushSmaregiPointsAgain(contractId: "sb_none", customerId: "1") { id } }', variables: () => ({}), expect: adminOnly },
  // an empty dry run: an allowed caller writes nothing
  importMembers: { query: 'mutation { importMembers(input: { rows: [], dryRun: true }) { dryRun } }', variables: () => ({}), expect: adminOnly },
  mergeMembers: { query: 'mutation($a: ID!, $b: ID!) { mergeMembers(survivorId: $a, mergedId: $b) { id } }', variables: () => ({ a: unknownId(), b: unknownId() }), expect: adminOnly },
  createApiKey: { query: 'mutation($s: ID!) { createApiKey(input: { label: "", storeIds: [$s] }) { key } }', variables: (f) => ({ s: f.ownStore }), expect: adminOnly },
  revokeApiKey: { query: 'mutation { revokeApiKey(id: "nokey000000x") { id } }', variables: () => ({}), expect: adminOnly },
  // an empty URL or an unknown id: BAD_USER_INPUT or NOT_FOUND for ADMIN, so an allowed caller changes nothing
  createWebhookSubscription: { query: 'mutation { createWebhookSubscription(url: "", topics: [POINTS_CHANGED]) { secret } }', variables: () => ({}), expect: adminOnly },
  updateWebhookSubscription: { query: 'mutation($id: ID!) { updateWebhookSubscription(id: $id, description: "x") { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  disableWebhookSubscription: { query: 'mutation($id: ID!) { disableWebhookSubscription(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  rotateWebhookSubscriptionSecret: { query: 'mutation($id: ID!) { rotateWebhookSubscriptionSecret(id: $id) { secret } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  replayWebhookDelivery: { query: 'mutation { replayWebhookDelivery(id: "nosuchdelivery") { id } }', variables: () => ({}), expect: adminOnly },
  adjustPoints: {
    query: 'mutation($id: ID!, $k: String!) { adjustPoints(memberId: $id, amount: 0, reason: "x", idempotencyKey: $k) { transaction { id } } }',
    variables: (f) => ({ id: f.self('customerSelf').id, k: randomUUID() }),
    expect: staffOnly,
  },
  createCampaign: {
    query: 'mutation { createCampaign(input: { name: "", kind: MULTIPLIER, multiplierPercent: 200, startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-02-01T00:00:00Z" }) { id } }',
    variables: () => ({}),
    expect: adminOnly,
  },
  updateCampaign: { query: 'mutation($id: ID!) { updateCampaign(id: $id, input: { name: "x" }) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  endCampaign: { query: 'mutation($id: ID!) { endCampaign(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  createItemRule: {
    query: 'mutation { createItemRule(input: { name: "", action: EXCLUDE, categories: ["tobacco"], startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-02-01T00:00:00Z" }) { id } }',
    variables: () => ({}),
    expect: adminOnly,
  },
  updateItemRule: { query: 'mutation($id: ID!) { updateItemRule(id: $id, input: { name: "x" }) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  endItemRule: { query: 'mutation($id: ID!) { endItemRule(id: $id) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  setStoreEarnRate: { query: 'mutation($s: ID!) { setStoreEarnRate(input: { storeId: $s, ratePoints: -1, ratePerYen: 100 }) { rounding } }', variables: (f) => ({ s: f.ownStore }), expect: adminOnly },
  setTierRules: { query: 'mutation { setTierRules(tiers: []) { rounding } }', variables: () => ({}), expect: adminOnly },
  setPointsPolicy: { query: 'mutation { setPointsPolicy(input: { pendingDays: -1 }) { rounding } }', variables: () => ({}), expect: adminOnly },
  recordPurchase: {
    query: 'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
    variables: (f, c) => ({
      input: { idempotencyKey: randomUUID(), storeId: f.ownStore, memberCode: f.self(c).code, lines: [{ sku: 'A', name: 'A', unitPrice: 100, quantity: 1 }], total: 999 },
    }),
    expect: registers,
  },
  refundPurchase: {
    query: 'mutation($input: RefundPurchaseInput!) { refundPurchase(input: $input) { id } }',
    // a real refund of 1 yen of the own store's purchase: what an allowed caller does
    variables: (f) => ({ input: { purchaseId: f.purchase, idempotencyKey: randomUUID(), amount: 1 } }),
    expect: registers,
  },
  createReward: {
    query: 'mutation { createReward(input: { nameJa: "", nameEn: "x", pointsCost: 1, benefit: { kind: YEN_OFF, yenOff: 1 }, online: true }) { id } }',
    variables: () => ({}),
    expect: adminOnly,
  },
  updateReward: { query: 'mutation($id: ID!) { updateReward(id: $id, input: { pointsCost: 1 }) { id } }', variables: () => ({ id: unknownId() }), expect: adminOnly },
  // a member's points are theirs to spend: staff and registers do not redeem for them
  // a code of the right shape that no purchase has: a customer is told NOT_FOUND, and nothing is written
  claimPurchase: { query: 'mutation($c: String!) { claimPurchase(code: $c) { id } }', variables: () => ({ c: '2222-2222-2222' }), expect: customersOnly },
  redeemReward: { query: 'mutation($id: ID!, $k: String!) { redeemReward(rewardId: $id, idempotencyKey: $k) { id } }', variables: () => ({ id: unknownId(), k: randomUUID() }), expect: customersOnly },
  redeemPointsForCheckout: { query: 'mutation($k: String!) { redeemPointsForCheckout(points: 100, idempotencyKey: $k) { id } }', variables: () => ({ k: randomUUID() }), expect: customersOnly },
  cancelCoupon: { query: 'mutation($id: ID!) { cancelCoupon(couponId: $id) { id } }', variables: () => ({ id: unknownId() }), expect: { ...signedIn, posOwnStore: F, posOtherStore: F } },
  createStore: { query: 'mutation { createStore(input: { code: "", name: "x", kind: PHYSICAL }) { id } }', variables: () => ({}), expect: adminOnly },
  updateStore: { query: 'mutation($id: ID!) { updateStore(id: $id, input: { name: "" }) { id } }', variables: (f) => ({ id: f.ownStore }), expect: adminOnly },
  // last: a customer withdrawing themself is allowed, and it is what this row does for customerSelf (the last caller)
  withdrawMember: {
    query: 'mutation($id: ID!) { withdrawMember(id: $id) { id } }',
    variables: (f, c) => ({ id: c === 'customerSelf' ? f.self(c).id : c === 'customerOther' ? f.self('customerSelf').id : c === 'mergedAway' ? unknownId() : unknownId() }),
    expect: { ...ownData, posOwnStore: F, posOtherStore: F, mergedAway: F },
  },
};

let system: TestSystem;
let fixtures: Fixtures;
let headers: Record<CallerName, Record<string, string>>;

function rootFields(): string[] {
  const api = Supergraph.build(readFileSync(path.join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();
  return [api.getQueryType()!, api.getMutationType()!].flatMap((type) => Object.keys(type.getFields()));
}

function outcomeOf(response: GraphQLResponse): string {
  const codes = (response.errors ?? []).map((e) => e.extensions?.code);
  // a row whose document does not fit the schema proves nothing about who may call it
  if (codes.includes('GRAPHQL_VALIDATION_FAILED') || codes.includes('GRAPHQL_PARSE_FAILED')) throw new Error(JSON.stringify(response.errors));
  if (codes.includes('UNAUTHENTICATED')) return 'UNAUTHENTICATED';
  if (codes.includes('FORBIDDEN')) return 'FORBIDDEN';
  // anything else (BAD_USER_INPUT, NOT_FOUND, data) means the caller got past authorization
  return ALLOWED;
}

beforeAll(async () => {
  system = await startTestSystem();
  const admin = system.adminHeaders();
  const store = async (code: string) =>
    ok(await system.graphql<{ createStore: { id: string } }>(`mutation { createStore(input: { code: "${code}", name: "${code}", kind: PHYSICAL }) { id } }`, {}, admin)).createStore.id;
  const ownStore = await store('R001');
  const otherStore = await store('R002');
  const register = async (name: string) =>
    ok(
      await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
        { input: { displayName: name, email: `${randomUUID()}@example.com`, registeredVia: 'STORE', registeredStoreId: ownStore } },
        admin,
      ),
    ).registerMember;
  const [self, other, withdrawn, survivor, merged] = [await register('本人'), await register('他人'), await register('退会'), await register('統合先'), await register('統合元')];
  ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { id } }', { id: withdrawn.id }, admin));
  ok(await system.graphql('mutation($a: ID!, $b: ID!) { mergeMembers(survivorId: $a, mergedId: $b) { id } }', { a: survivor.id, b: merged.id }, admin));
  const purchase = ok(
    await system.graphql<{ recordPurchase: { id: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
      { input: { idempotencyKey: 'roles-1', storeId: ownStore, memberCode: self.memberCode, lines: [{ sku: 'A', name: 'A', unitPrice: 1000, quantity: 1 }], total: 1000 } },
      admin,
    ),
  ).recordPurchase.id;
  const code = (m: { id: string; memberCode: string }) => ({ id: m.id, code: m.memberCode });
  fixtures = {
    ownStore,
    otherStore,
    purchase,
    self: (caller) => (caller === 'mergedAway' ? code(survivor) : caller === 'customerOther' ? code(other) : caller === 'withdrawn' ? code(withdrawn) : code(self)),
  };
  headers = {
    anonymous: {},
    customerSelf: system.customerHeaders(self.id),
    customerOther: system.customerHeaders(other.id),
    staff: system.staffHeaders(),
    admin,
    posOwnStore: await system.posHeaders([ownStore]),
    posOtherStore: await system.posHeaders([otherStore]),
    withdrawn: system.customerHeaders(withdrawn.id),
    mergedAway: system.customerHeaders(merged.id),
  };
});
afterAll(() => system.close());

it('has a row for every root field of the supergraph, and none for a field it lacks', () => {
  expect(Object.keys(ROWS).sort()).toEqual(rootFields().sort());
});

describe.each(Object.entries(ROWS))('%s', (field, row) => {
  it.each(CALLERS)(`as %s`, async (caller) => {
    const response = await system.graphql(row.query, row.variables(fixtures, caller), headers[caller]);
    const expected = row.expect[caller] ?? row.expect.otherwise;
    expect({ field, caller, outcome: outcomeOf(response) }).toEqual({ field, caller, outcome: expected });
  });
});
