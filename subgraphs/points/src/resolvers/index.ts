import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Campaign } from './Campaign';
import { Coupon } from './Coupon';
import { EarnBreakdown, ItemRule } from './ItemRule';
import { Member } from './Member';
import { Mutation } from './Mutation';
import { PointsAccount } from './PointsAccount';
import { PointTransaction } from './PointTransaction';
import { Purchase } from './Purchase';
import { Query } from './Query';
import { Reward } from './Reward';
import { RewardChange, RewardFieldChange, RuleChange } from './RewardChange';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Member, PointsAccount, PointTransaction, Purchase, Campaign, ItemRule, EarnBreakdown, Reward, RewardChange, RewardFieldChange, RuleChange, Coupon };
