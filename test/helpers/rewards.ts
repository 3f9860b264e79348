import { ok, type GraphQLResponse, type TestSystem } from './system';

/** The reward and coupon operations the rewards e2e tests share, through the gateway. */
export const REWARD_FIELDS = 'id name { ja en } pointsCost benefit { kind yenOff percentOff capYen sku } stock perMemberLimit active couponValidityDays revision';
export const CREATE_REWARD = `mutation ($input: RewardInput!) { createReward(input: $input) { ${REWARD_FIELDS} } }`;
export const REDEEM = /* GraphQL */ `
  mutation ($rewardId: ID!, $key: String!) {
    redeemReward(rewardId: $rewardId, idempotencyKey: $key) { id code barcodeValue rewardId pointsCost state issuedAt expiresAt endedAt benefit { kind yenOff } }
  }
`;
export const CANCEL = 'mutation ($id: ID!) { cancelCoupon(couponId: $id) { id state endedAt } }';
const REGISTER = 'mutation ($input: RegisterMemberInput!) { registerMember(input: $input) { id } }';
const ADJUST = 'mutation ($memberId: ID!, $amount: Int!, $key: String!) { adjustPoints(memberId: $memberId, amount: $amount, reason: "rewards test", idempotencyKey: $key) { account { balance } } }';
const BALANCE = 'query ($id: ID!) { member(id: $id) { points { balance history(first: 10) { nodes { type amount } } } coupons { id state } } }';

export interface RedeemedCoupon {
  id: string;
  code: string;
  barcodeValue: string;
  state: string;
  issuedAt: string;
  expiresAt: string;
  endedAt: string | null;
}

/**
 * Members, rewards and coupons for one test file's system (read when called: the file starts it in beforeAll);
 * `storeId` is where rewards are valid by default.
 */
export function rewardsDriver(system: () => TestSystem, storeId: () => string) {
  let counter = 0;
  return {
    /** A member with `points` usable points (the sign-up bonus topped up). */
    async memberWith(points: number): Promise<string> {
      counter += 1;
      const input = { displayName: `特典${counter}`, email: `r${counter}@example.com`, registeredVia: 'ONLINE' };
      const { registerMember } = ok(await system().graphql<{ registerMember: { id: string } }>(REGISTER, { input }, system().staffHeaders()));
      const top = points - 100;
      if (top !== 0) ok(await system().graphql(ADJUST, { memberId: registerMember.id, amount: top, key: `top-${registerMember.id}` }, system().adminHeaders()));
      return registerMember.id;
    },
    async createReward(extra: Record<string, unknown> = {}): Promise<string> {
      const input = { nameJa: '500円引き', nameEn: '¥500 off', pointsCost: 500, benefit: { kind: 'YEN_OFF', yenOff: 500 }, storeIds: [storeId()], online: true, ...extra };
      return ok(await system().graphql<{ createReward: { id: string } }>(CREATE_REWARD, { input }, system().adminHeaders())).createReward.id;
    },
    /** As staff see it: the balance, the latest entries and the coupons. */
    async account(memberId: string) {
      type Member = { points: { balance: number; history: { nodes: { type: string; amount: number }[] } }; coupons: { id: string; state: string }[] };
      const { member } = ok(await system().graphql<{ member: Member }>(BALANCE, { id: memberId }, system().staffHeaders()));
      return { balance: member.points.balance, entries: member.points.history.nodes, coupons: member.coupons };
    },
    redeem(memberId: string, rewardId: string, key: string): Promise<GraphQLResponse<{ redeemReward: RedeemedCoupon }>> {
      return system().graphql<{ redeemReward: RedeemedCoupon }>(REDEEM, { rewardId, key }, system().customerHeaders(memberId));
    },
    slotsOf: (rewardId: string) => system().db.collection('reward_slots').countDocuments({ rewardId }),
  };
}
