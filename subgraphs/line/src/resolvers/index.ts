import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { JSONScalar } from './JSON';
import { LineAccount } from './LineAccount';
import { LineMessage } from './LineMessage';
import { Member } from './Member';
import { MergedLineAccount } from './MergedLineAccount';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Segment } from './Segment';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, JSON: JSONScalar, Member, MergedLineAccount, LineAccount, LineMessage, Mutation, Query, Segment };
