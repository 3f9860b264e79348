import type { Resolvers } from '../__generated__/resolvers-types';
import { Query } from './Query';
import { Store } from './Store';

export const resolvers: Resolvers = { Query, Store };
