import type { messagingApi } from '@line/bot-sdk';
import type { LinkOutcome } from './link-claims';

function text(value: string): messagingApi.TextMessage {
  return { type: 'text', text: value };
}

/** The reply to "会員連携": a button to our login page, and the other way (a code from the member page). */
export function linkInvitation(pageUrl: string): messagingApi.Message[] {
  return [
    {
      type: 'template',
      altText: '会員連携はこちらから: ' + pageUrl,
      template: {
        type: 'buttons',
        text: 'LINEアカウントと会員情報を連携します。ボタンを押して、会員番号と登録済みの電話番号またはメールアドレスを入力してください（10分間有効）。',
        actions: [{ type: 'uri', label: '会員連携する', uri: pageUrl }],
      },
    },
    text('会員ページで発行した8桁の連携コードを、このトークに送って連携することもできます。'),
  ];
}

export const ALREADY_LINKED = text('このLINEアカウントは既に会員と連携済みです。メニューからポイントや会員証をご確認いただけます。');
export const ACCOUNT_LINK_FAILED = text('連携できませんでした。もう一度「会員連携」と送って、やり直してください。');

const LINKED = '連携しました！メニューからポイント残高や会員証をご確認いただけます。';
const USER_ELSEWHERE = 'このLINEアカウントは別の会員と連携済みです。会員ページで連携を解除してから、もう一度お試しください。';
const MEMBER_ELSEWHERE = 'この会員は別のLINEアカウントと連携済みです。会員ページで連携を解除してから、もう一度お試しください。';

/** What the user is told after LINE's account-link dialog. */
export function accountLinkReply(outcome: LinkOutcome): messagingApi.Message[] {
  switch (outcome) {
    case 'linked':
      return [text(LINKED)];
    case 'already-linked':
      return [ALREADY_LINKED];
    case 'user-linked-elsewhere':
      return [text(USER_ELSEWHERE)];
    case 'member-linked-elsewhere':
      return [text(MEMBER_ELSEWHERE)];
    case 'expired':
      return [text('連携の有効期限（10分）が切れました。もう一度「会員連携」と送って、やり直してください。')];
    default:
      return [ACCOUNT_LINK_FAILED];
  }
}

/** What the user is told after sending a link code. */
export function linkCodeReply(outcome: LinkOutcome): messagingApi.Message[] {
  switch (outcome) {
    case 'linked':
      return [text(LINKED)];
    case 'already-linked':
      return [ALREADY_LINKED];
    case 'user-linked-elsewhere':
      return [text(USER_ELSEWHERE)];
    case 'member-linked-elsewhere':
      return [text(MEMBER_ELSEWHERE)];
    case 'expired':
      return [text('この連携コードは有効期限（10分）が切れています。会員ページで新しいコードを発行してください。')];
    case 'used':
      return [text('この連携コードは使用済みです。会員ページで新しいコードを発行してください。')];
    case 'too-many-attempts':
      return [text('連携コードの入力回数が上限に達しました。10分ほど待ってから、もう一度お試しください。')];
    case 'unknown':
      return [text('連携コードが正しくありません。会員ページに表示された8桁のコードをご確認ください。')];
  }
}
