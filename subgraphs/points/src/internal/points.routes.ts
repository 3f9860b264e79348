import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { pointsContract } from '@omo/lib/contracts/points';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { PointsDeps } from '../context';
import { accountSummary } from '../services/account-summary';
import type { SettlementService } from '../services/settlement.service';
import { pointsSegmentFilter } from './segment-filter.routes';

/** The points contract's routes (lib/contracts/points.ts): purchases quotes coupons and settles here, members merges, line reads accounts. */
export function pointsRoutes(deps: PointsDeps, settlement: SettlementService, options: { internalSecret: string; logger: Logger }): Router {
  return internalRouter(pointsContract, {
    settle: (input) => settlement.settle(input),
    couponQuote: (input) => deps.couponUse.quote(input),
    redemption: (input) => settlement.redemption(input),
    reverse: (input) => settlement.reverse(input),
    merge: (input) => settlement.merge(input),
    signupBonus: (input) => settlement.signupBonus(input),
    accountSummary: (input) => accountSummary(deps, input),
    segmentFilter: pointsSegmentFilter(deps),
  }, options);
}
