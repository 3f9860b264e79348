import type { LineMessageResolvers } from '../__generated__/resolvers-types';

export const LineMessage: LineMessageResolvers = {
  text: (message) => (message.type === 'text' ? message.text : null),
  flex: (message) => (message.type === 'flex' ? { altText: message.altText, contents: message.contents } : null),
};
