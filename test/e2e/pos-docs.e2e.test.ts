import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@omo/lib/core/config';
import { examplesOf, resolve } from '../helpers/doc-examples';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * docs/pos-integration.md is the POS integrators' contract: every example in it is run here, in order, against a
 * fresh system, and the documented response must be what comes back.
 */
let system: TestSystem;
const values: Record<string, string> = {};

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation { createStore(input: { code: "S001", name: "OMO 新宿店", kind: PHYSICAL }) { id } }',
    {},
    system.adminHeaders(),
  );
  values.$STORE_ID = store.data!.createStore.id;
  const member = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
    { input: { displayName: '山田花子', phone: '090-0000-1234', registeredVia: 'STORE', registeredStoreId: values.$STORE_ID } },
    system.adminHeaders(),
  );
  values.$MEMBER_ID = member.data!.registerMember.id;
  values.$MEMBER_CODE = member.data!.registerMember.memberCode;
  const code = values.$MEMBER_CODE;
  values.$MISTYPED_CODE = code.slice(0, 12) + String((Number(code[12]) + 1) % 10);
  await couponHolder();
});

/** A second member who has bought a ¥500 coupon valid at the store with 500 points (the coupon examples). */
async function couponHolder(): Promise<void> {
  const holder = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
    'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
    { input: { displayName: '佐藤健太', phone: '090-0000-5678', registeredVia: 'STORE', registeredStoreId: values.$STORE_ID } },
    system.adminHeaders(),
  );
  const { id, memberCode } = holder.data!.registerMember;
  values.$COUPON_MEMBER_CODE = memberCode;
  await system.graphql(`mutation { adjustPoints(memberId: "${id}", amount: 400, reason: "docs", idempotencyKey: "docs-coupon") { account { balance } } }`, {}, system.adminHeaders());
  const reward = await system.graphql<{ createReward: { id: string } }>(
    `mutation { createReward(input: { nameJa: "500円引き", nameEn: "¥500 off", pointsCost: 500, benefit: { kind: YEN_OFF, yenOff: 500 }, storeIds: ["${values.$STORE_ID}"], online: false }) { id } }`,
    {},
    system.adminHeaders(),
  );
  const coupon = await system.graphql<{ redeemReward: { code: string } }>(
    `mutation { redeemReward(rewardId: "${reward.data!.createReward.id}", idempotencyKey: "docs-coupon") { code } }`,
    {},
    system.customerHeaders(id),
  );
  values.$COUPON_CODE = coupon.data!.redeemReward.code;
}
afterAll(() => system.close());

const examples = examplesOf(readFileSync(path.join(REPO_ROOT, 'docs', 'pos-integration.md'), 'utf8'));

describe('docs/pos-integration.md', () => {
  it('has its examples', () => {
    expect(examples.map((e) => e.name)).toEqual(['lookup', 'preview', 'record', 'guest', 'retry', 'refund', 'coupon', 'couponused', 'mistyped']);
  });

  it.each(examples.map((e) => [e.name, e] as const))('example "%s" answers as documented', async (_name, example) => {
    const pos = await system.posHeaders([values.$STORE_ID!]);
    const variables = resolve(example.variables, undefined, values) as Record<string, unknown>;
    const response = await system.graphql(example.body, variables, pos);
    const actual = { data: response.data, ...(response.errors ? { errors: response.errors } : {}) };
    expect(actual).toEqual(resolve(example.response, actual, values));
  });
});
