import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { ApiKey } from './ApiKey';
import { Member } from './Member';
import { MemberCard } from './MemberCard';
import { MemberDuplicate } from './MemberDuplicate';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { partnerEventMutation, partnerEventQuery } from '../partner-events/partner-events.resolvers';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: { ...Query, ...partnerEventQuery },
  Mutation: { ...Mutation, ...partnerEventMutation },
  Member,
  MemberCard,
  MemberDuplicate,
  ApiKey,
};
