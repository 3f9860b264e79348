import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { LineMessageInput } from '../__generated__/resolvers-types';

/** One of text and flex, as the delivery's message shape; GraphQL has checked the fields' types already. */
const lineMessageInputSchema = z.union([
  z.object({ text: z.string(), flex: z.null().optional() }).transform(({ text }) => ({ type: 'text', text })),
  z
    .object({ text: z.null().optional(), flex: z.object({ altText: z.string(), contents: z.unknown() }) })
    .transform(({ flex }) => ({ type: 'flex', altText: flex.altText, contents: flex.contents })),
]);

/**
 * LineMessageInput (one of text and flex) as the delivery's messages ({ type: 'text' | 'flex', ... }); the delivery
 * checks them against LINE's limits.
 */
export function deliveryMessagesOf(messages: readonly LineMessageInput[]): unknown[] {
  return messages.map((message, i) => {
    const parsed = lineMessageInputSchema.safeParse(message);
    if (!parsed.success) throw new BadUserInputError(`messages.${i}: set exactly one of text and flex`, { field: `messages.${i}` });
    return parsed.data;
  });
}
