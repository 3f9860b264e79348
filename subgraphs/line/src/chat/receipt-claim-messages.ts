import type { messagingApi } from '@line/bot-sdk';
import { CHAT } from '../i18n/chat.messages';
import { say } from '../i18n/locale';
import { RECEIPT_CLAIM, RECEIPT_CLAIM_REFUSALS } from '../i18n/receipt-claim.messages';
import { LINK_ACCOUNT_POSTBACK } from './chat-messages';
import { BRAND, box, flexMessage, text, type ReplyView } from './flex';
import type { ReceiptClaimOutcome } from './receipt-claim.client';

/** The answer to a receipt code from a linked member: the points earned, that they are on their way, or why not. */
export function receiptClaimMessage(view: Pick<ReplyView, 'locale'>, outcome: ReceiptClaimOutcome): messagingApi.TextMessage {
  if ('refused' in outcome) return { type: 'text', text: say(RECEIPT_CLAIM_REFUSALS[outcome.refused], view.locale) };
  const { claimed } = outcome;
  const answer = claimed.pointsEarned === null ? RECEIPT_CLAIM.pending(claimed) : RECEIPT_CLAIM.earned(claimed, claimed.pointsEarned);
  return { type: 'text', text: say(answer, view.locale) };
}

/** A receipt code from someone not linked: the code is not used; linking first, with the button that starts it. */
export function receiptNeedsLinkMessage(view: Pick<ReplyView, 'locale'>): messagingApi.FlexMessage {
  const { locale } = view;
  const bubble: messagingApi.FlexBubble = {
    type: 'bubble',
    body: box('vertical', [text(say(RECEIPT_CLAIM.needsLink, locale), { size: 'md' })], { spacing: 'md' }),
    footer: box('vertical', [
      {
        type: 'button',
        style: 'primary',
        color: BRAND,
        height: 'sm',
        action: { type: 'postback', label: say(CHAT.buttonLink, locale), data: LINK_ACCOUNT_POSTBACK, displayText: say(CHAT.typedLink, locale) },
      },
    ]),
  };
  return flexMessage(say(RECEIPT_CLAIM.needsLinkAlt, locale), bubble);
}
