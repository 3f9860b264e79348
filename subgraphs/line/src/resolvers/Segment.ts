import type { SegmentResolvers } from '../__generated__/resolvers-types';
import { definitionToJson } from '../segments/segment-definition';

export const Segment: SegmentResolvers = {
  definition: (segment) => definitionToJson(segment.definition),
};
