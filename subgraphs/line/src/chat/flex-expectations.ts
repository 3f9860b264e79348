import type { messagingApi } from '@line/bot-sdk';
import { ALT_TEXT_MAX, BUBBLE_MAX_BYTES, CAROUSEL_MAX_BUBBLES, CAROUSEL_MAX_BYTES } from './chat-messages';

/** For the chat's tests: what LINE would refuse in a Flex message, and the parts of a bubble a customer sees. */

/** Every component of a bubble, depth first. */
export function componentsOf(bubble: messagingApi.FlexBubble): messagingApi.FlexComponent[] {
  const all: messagingApi.FlexComponent[] = [];
  const visit = (component: messagingApi.FlexComponent | undefined) => {
    if (!component) return;
    all.push(component);
    if (component.type === 'box') component.contents.forEach(visit);
  };
  [bubble.header, bubble.hero, bubble.body, bubble.footer].forEach(visit);
  return all;
}

export const bubblesOf = (message: messagingApi.FlexMessage) => (message.contents.type === 'carousel' ? message.contents.contents : [message.contents]);
export const bubbleTexts = (bubble: messagingApi.FlexBubble) => componentsOf(bubble).flatMap((c) => (c.type === 'text' && c.text !== undefined ? [c.text] : []));
export const bubbleActions = (bubble: messagingApi.FlexBubble) => componentsOf(bubble).flatMap((c) => (c.type === 'button' ? [c.action] : []));

/** LINE's limits: altText, each bubble's and the carousel's size, the number of bubbles, labels and postback data. */
export function expectWithinLineLimits(message: messagingApi.FlexMessage, altText: string) {
  expect(message.type).toBe('flex');
  expect(message.altText).toBe(altText);
  expect(message.altText.length).toBeLessThanOrEqual(ALT_TEXT_MAX);
  const bubbles = bubblesOf(message);
  expect(bubbles.length).toBeLessThanOrEqual(CAROUSEL_MAX_BUBBLES);
  expect(Buffer.byteLength(JSON.stringify(message.contents))).toBeLessThanOrEqual(message.contents.type === 'carousel' ? CAROUSEL_MAX_BYTES : BUBBLE_MAX_BYTES);
  for (const bubble of bubbles) {
    expect(Buffer.byteLength(JSON.stringify(bubble))).toBeLessThanOrEqual(BUBBLE_MAX_BYTES);
    for (const action of bubbleActions(bubble)) {
      expect(action.label?.length ?? 0).toBeLessThanOrEqual(20);
      if (action.type === 'postback') {
        expect(action.data?.length ?? 0).toBeLessThanOrEqual(300);
        expect(action.displayText?.length ?? 0).toBeLessThanOrEqual(300);
      }
    }
  }
}
