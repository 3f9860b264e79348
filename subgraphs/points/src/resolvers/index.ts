import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Campaign } from './Campaign';
import { Member } from './Member';
import { Mutation } from './Mutation';
import { PointsAccount } from './PointsAccount';
import { PointTransaction } from './PointTransaction';
import { Purchase } from './Purchase';
import { Query } from './Query';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Member, PointsAccount, PointTransaction, Purchase, Campaign };
