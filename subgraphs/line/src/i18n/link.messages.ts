import type { Text } from './locale';

/**
 * Linking in the chat: the invitation to link and the answers to a link code or LINE's account-link dialog. Where
 * a text has a `…WithPage` twin, that one is used when the LIFF member page exists, and a button to it follows.
 */
export const LINK_CHAT = {
  invitationAlt: (pageUrl: string): Text => ({ ja: `会員連携はこちらから: ${pageUrl}`, en: `Link your membership here: ${pageUrl}` }),
  /** A buttons template's text: at most 160 characters. */
  invitation: {
    ja: 'LINEアカウントと会員情報を連携します。ボタンを押して、会員番号と登録済みの電話番号またはメールアドレスを入力してください（10分間有効）。',
    en: 'Link your LINE account to your membership: tap the button and enter your member number and registered phone or e-mail (valid 10 minutes).',
  },
  invitationWithPage: {
    ja: 'LINEアカウントと会員情報を連携します。会員番号と登録済みの電話番号またはメールアドレスで連携できます（10分間有効）。会員でない方は会員ページからご入会いただけます。',
    en: 'Link your LINE account with your member number and registered phone or e-mail (valid 10 minutes). Not a member yet? Join on the member page.',
  },
  buttonLink: { ja: '会員連携する', en: 'Link membership' },
  buttonMemberPage: { ja: '会員ページ', en: 'Member page' },
  codeInstead: {
    ja: 'オンラインストアのマイページで発行した8桁の連携コードを、このトークに送って連携することもできます。',
    en: 'You can also link by sending the 8-character link code from your online store account page to this chat.',
  },
  linked: {
    ja: '連携しました！メニューからポイント残高や会員証、特典をご確認いただけます。',
    en: 'Linked! Check your points, member card and rewards from the menu.',
  },
  alreadyLinked: {
    ja: 'このLINEアカウントは既に会員と連携済みです。メニューからポイントや会員証をご確認いただけます。',
    en: 'This LINE account is already linked to a membership. Check your points and member card from the menu.',
  },
  failed: { ja: '連携できませんでした。もう一度「会員連携」と送って、やり直してください。', en: 'Linking did not work. Send "link" again to start over.' },
  userElsewhere: {
    ja: 'このLINEアカウントは別の会員と連携済みです。連携を解除してから、もう一度お試しください。',
    en: 'This LINE account is linked to another membership. Unlink it first, then try again.',
  },
  userElsewhereWithPage: {
    ja: 'このLINEアカウントは別の会員と連携済みです。会員ページで連携を解除してから、もう一度お試しください。',
    en: 'This LINE account is linked to another membership. Unlink it on the member page first, then try again.',
  },
  memberElsewhere: {
    ja: 'この会員は別のLINEアカウントと連携済みです。連携を解除してから、もう一度お試しください。',
    en: 'This membership is linked to another LINE account. Unlink it first, then try again.',
  },
  memberElsewhereWithPage: {
    ja: 'この会員は別のLINEアカウントと連携済みです。そのLINEアカウントの会員ページで連携を解除してから、もう一度お試しください。',
    en: 'This membership is linked to another LINE account. Unlink it on that account’s member page first, then try again.',
  },
  dialogExpired: {
    ja: '連携の有効期限（10分）が切れました。もう一度「会員連携」と送って、やり直してください。',
    en: 'The link request expired (10 minutes). Send "link" again to start over.',
  },
  codeExpired: {
    ja: 'この連携コードは有効期限（10分）が切れています。オンラインストアのマイページで新しいコードを発行してください。',
    en: 'This link code has expired (10 minutes). Get a new one from your online store account page.',
  },
  codeUsed: {
    ja: 'この連携コードは使用済みです。オンラインストアのマイページで新しいコードを発行してください。',
    en: 'This link code has been used already. Get a new one from your online store account page.',
  },
  codeTooManyAttempts: {
    ja: '連携コードの入力回数が上限に達しました。10分ほど待ってから、もう一度お試しください。',
    en: 'Too many link codes tried. Please wait about 10 minutes, then try again.',
  },
  codeUnknown: {
    ja: '連携コードが正しくありません。オンラインストアのマイページに表示された8桁のコードをご確認ください。',
    en: 'That link code is not right. Check the 8-character code on your online store account page.',
  },
} satisfies Record<string, Text | ((...args: never[]) => Text)>;

/** The link page (GET/POST /line/link), in one language: `lang`, else the browser's Accept-Language, else Japanese. */
export const LINK_PAGE = {
  title: { ja: 'LINEアカウント連携', en: 'Link your LINE account' },
  intro: {
    ja: '会員番号と、ご登録の電話番号またはメールアドレスを入力してください。',
    en: 'Enter your member number and the phone number or e-mail address you registered.',
  },
  memberCode: { ja: '会員番号（13桁）', en: 'Member number (13 digits)' },
  contact: { ja: '電話番号またはメールアドレス', en: 'Phone number or e-mail' },
  submit: { ja: '連携する', en: 'Link' },
  note: {
    ja: '連携すると、LINEでポイント残高や会員証を確認できます。このページの有効期限は10分です。',
    en: 'Once linked, you can check your points and member card in LINE. This page works for 10 minutes.',
  },
  wrongCredentials: {
    ja: '会員番号、または電話番号・メールアドレスが一致しません。入力内容をご確認ください。',
    en: 'The member number and the phone number or e-mail address do not match. Please check them.',
  },
  missingInput: {
    ja: '会員番号と、電話番号またはメールアドレスを入力してください。',
    en: 'Enter your member number and a phone number or e-mail address.',
  },
  invalidLink: {
    ja: 'このリンクは無効か、有効期限（10分）が切れています。LINEのトークで「会員連携」と送って、もう一度お試しください。',
    en: 'This link is invalid or has expired (10 minutes). Send “link” in the LINE chat to get a new one.',
  },
  tooManyTries: {
    ja: '入力の回数が上限に達しました。しばらく時間をおいてから、LINEのトークで「会員連携」と送ってやり直してください。',
    en: 'Too many attempts. Please wait a while, then send “link” in the LINE chat to start again.',
  },
  lineAlreadyLinked: {
    ja: 'このLINEアカウントは既に会員と連携済みです。',
    en: 'This LINE account is already linked to a membership.',
  },
  memberAlreadyLinked: {
    ja: 'この会員は別のLINEアカウントと連携済みです。連携を解除してから、もう一度お試しください。',
    en: 'This membership is linked to another LINE account. Unlink it first, then try again.',
  },
  invalidCustomerToken: {
    ja: 'オンラインストアのログインを確認できませんでした。もう一度ログインしてからお試しください。',
    en: 'We could not confirm your online store login. Please sign in again and retry.',
  },
  unavailable: {
    ja: 'ただいま処理できません。しばらくしてからもう一度お試しください。',
    en: 'We cannot process this right now. Please try again in a moment.',
  },
} satisfies Record<string, Text>;
