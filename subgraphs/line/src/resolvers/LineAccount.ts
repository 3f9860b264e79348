import type { LineAccountResolvers } from '../__generated__/resolvers-types';

export const LineAccount: LineAccountResolvers = {
  // links stored before profile names were kept have no displayName at all
  displayName: (link) => link.displayName ?? null,
};
