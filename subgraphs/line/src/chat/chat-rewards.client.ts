import { AppError } from '@omo/lib/core/errors';
import { pointsContract, type MemberRewards, type RedeemedCoupon } from '@omo/lib/contracts/points';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import { isRedeemRefusal, type RedeemRefusal } from './chat-reward-messages';

/** The chat's rewards and coupons, from the points service's internal API (it owns them and their ledger). */
export interface RewardsClientDeps {
  services: ServiceDirectory;
  internalSecret: string;
}

const points = (deps: RewardsClientDeps) => internalClient(pointsContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'line' });

export function fetchMemberRewards(deps: RewardsClientDeps, memberId: string): Promise<MemberRewards> {
  return points(deps).memberRewards({ memberId });
}

export type RedeemOutcome =
  | { redeemed: RedeemedCoupon }
  | { refused: RedeemRefusal; shortfall?: { available: number; requested: number } };

/**
 * The member's own redemption; the key is the LINE event's, so a retried or redelivered event answers the coupon
 * it issued the first time. A refusal the customer should read is returned; anything else (the points service
 * down, a bug) is thrown, and the dispatcher's queue retries the event under the same key.
 */
export async function redeemForMember(deps: RewardsClientDeps, input: { memberId: string; rewardId: string; idempotencyKey: string }): Promise<RedeemOutcome> {
  try {
    return { redeemed: await points(deps).redeemForMember(input) };
  } catch (error) {
    const code = error instanceof AppError ? error.extensions.code : undefined;
    if (!isRedeemRefusal(code)) throw error;
    const { available, requested } = (error as AppError).extensions;
    const shortfall = typeof available === 'number' && typeof requested === 'number' ? { available, requested } : undefined;
    return shortfall ? { refused: code, shortfall } : { refused: code };
  }
}
