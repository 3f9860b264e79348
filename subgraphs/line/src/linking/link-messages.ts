import type { messagingApi } from '@line/bot-sdk';
import { LINK_CHAT } from '../i18n/link.messages';
import { say, type Locale, type Text } from '../i18n/locale';
import type { LinkOutcome } from './link-claims';

/** The customer's language, and the LIFF member page when there is one (null: no reply points to it). */
export interface LinkReplyView {
  locale: Locale;
  memberPageUrl: string | null;
}

function text(view: LinkReplyView, value: Text): messagingApi.TextMessage {
  return { type: 'text', text: say(value, view.locale) };
}

/** A text that sends the customer to the member page: with a button to it when it exists, else its twin without. */
function pointingToPage(view: LinkReplyView, withPage: Text, without: Text): messagingApi.Message {
  if (!view.memberPageUrl) return text(view, without);
  const body = say(withPage, view.locale);
  return {
    type: 'template',
    altText: body,
    template: { type: 'buttons', text: body, actions: [{ type: 'uri', label: say(LINK_CHAT.buttonMemberPage, view.locale), uri: view.memberPageUrl }] },
  };
}

/**
 * The reply to "会員連携": a button to our login page (and to the member page, to join there, when it exists), and
 * the other way (a code from the online store's account page).
 */
export function linkInvitation(view: LinkReplyView, pageUrl: string): messagingApi.Message[] {
  const { locale, memberPageUrl } = view;
  const actions: messagingApi.Action[] = [{ type: 'uri', label: say(LINK_CHAT.buttonLink, locale), uri: pageUrl }];
  if (memberPageUrl) actions.push({ type: 'uri', label: say(LINK_CHAT.buttonMemberPage, locale), uri: memberPageUrl });
  return [
    {
      type: 'template',
      altText: say(LINK_CHAT.invitationAlt(pageUrl), locale),
      template: { type: 'buttons', text: say(memberPageUrl ? LINK_CHAT.invitationWithPage : LINK_CHAT.invitation, locale), actions },
    },
    text(view, LINK_CHAT.codeInstead),
  ];
}

export const alreadyLinked = (view: LinkReplyView) => text(view, LINK_CHAT.alreadyLinked);
export const accountLinkFailed = (view: LinkReplyView) => text(view, LINK_CHAT.failed);

/** The outcomes both ways of linking answer alike. */
function commonReply(view: LinkReplyView, outcome: 'linked' | 'already-linked' | 'user-linked-elsewhere' | 'member-linked-elsewhere'): messagingApi.Message {
  switch (outcome) {
    case 'linked':
      return text(view, LINK_CHAT.linked);
    case 'already-linked':
      return alreadyLinked(view);
    case 'user-linked-elsewhere':
      return pointingToPage(view, LINK_CHAT.userElsewhereWithPage, LINK_CHAT.userElsewhere);
    case 'member-linked-elsewhere':
      return pointingToPage(view, LINK_CHAT.memberElsewhereWithPage, LINK_CHAT.memberElsewhere);
  }
}

/** What the user is told after LINE's account-link dialog. */
export function accountLinkReply(view: LinkReplyView, outcome: LinkOutcome): messagingApi.Message[] {
  switch (outcome) {
    case 'linked':
    case 'already-linked':
    case 'user-linked-elsewhere':
    case 'member-linked-elsewhere':
      return [commonReply(view, outcome)];
    case 'expired':
      return [text(view, LINK_CHAT.dialogExpired)];
    default:
      return [accountLinkFailed(view)];
  }
}

/** What the user is told after sending a link code. */
export function linkCodeReply(view: LinkReplyView, outcome: LinkOutcome): messagingApi.Message[] {
  switch (outcome) {
    case 'linked':
    case 'already-linked':
    case 'user-linked-elsewhere':
    case 'member-linked-elsewhere':
      return [commonReply(view, outcome)];
    case 'expired':
      return [text(view, LINK_CHAT.codeExpired)];
    case 'used':
      return [text(view, LINK_CHAT.codeUsed)];
    case 'too-many-attempts':
      return [text(view, LINK_CHAT.codeTooManyAttempts)];
    case 'unknown':
      return [text(view, LINK_CHAT.codeUnknown)];
  }
}
