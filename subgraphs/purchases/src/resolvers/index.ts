import { DateTimeScalar } from '@omo/lib/core/scalars';
import type { Resolvers } from '../__generated__/resolvers-types';
import { Campaign } from './Campaign';
import { Member } from './Member';
import { Mutation } from './Mutation';
import { Purchase } from './Purchase';
import { PurchaseLine } from './PurchaseLine';
import { PurchaseSummary } from './PurchaseSummary';
import { Query } from './Query';
import { Refund } from './Refund';
import { SmaregiEvent } from './SmaregiEvent';
import { SmaregiPointPush } from './SmaregiPointPush';
import { Store } from './Store';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Store, Purchase, PurchaseLine, Refund, Member, PurchaseSummary, SmaregiEvent, SmaregiPointPush, Campaign };
