import { BadUserInputError } from '@omo/lib/core/errors';
import type { LineMessageInput } from '../__generated__/resolvers-types';

/**
 * LineMessageInput (one of text and flex) as the delivery's messages ({ type: 'text' | 'flex', ... }); the delivery
 * checks them against LINE's limits.
 */
export function deliveryMessagesOf(messages: readonly LineMessageInput[]): unknown[] {
  return messages.map((message, i) => {
    const { text, flex } = message;
    if ((text == null) === (flex == null)) throw new BadUserInputError(`messages.${i}: set exactly one of text and flex`, { field: `messages.${i}` });
    return text != null ? { type: 'text', text } : { type: 'flex', altText: flex?.altText, contents: flex?.contents };
  });
}
