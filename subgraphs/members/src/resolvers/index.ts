import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { ApiKey } from './ApiKey';
import { Member } from './Member';
import { MemberCard } from './MemberCard';
import { MemberDuplicate } from './MemberDuplicate';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Member, MemberCard, MemberDuplicate, ApiKey };
