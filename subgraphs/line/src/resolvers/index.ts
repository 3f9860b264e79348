import { DateTimeScalar } from '@omo/lib/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { LineAccount } from './LineAccount';
import { Member } from './Member';
import { Mutation } from './Mutation';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Member, LineAccount, Mutation };
