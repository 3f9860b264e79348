import type { Text } from './locale';

/**
 * The LIFF member page (subgraphs/line/src/member-page): the page's own words, sent to the browser as they are
 * (the page's script picks the locale the API answers with), and the words the API fills into what it returns.
 */
export const MEMBER_PAGE_TEXT = {
  title: { ja: '会員ページ', en: 'Member page' },
  loading: { ja: '読み込み中…', en: 'Loading…' },
  cardHeading: { ja: '会員証', en: 'Member card' },
  cardHint: { ja: 'レジでこの画面をご提示ください', en: 'Show this screen at the register' },
  memberCode: { ja: '会員番号', en: 'Member number' },
  barcodeLabel: { ja: '会員番号のバーコード', en: 'Barcode of your member number' },
  qrLabel: { ja: '会員番号のQRコード', en: 'QR code of your member number' },
  balance: { ja: 'ポイント残高', en: 'Points balance' },
  pending: { ja: '付与予定', en: 'Pending' },
  tier: { ja: '会員ランク', en: 'Tier' },
  expiringHeading: { ja: 'まもなく失効するポイント', en: 'Points expiring soon' },
  noExpiring: { ja: '失効予定のポイントはありません', en: 'No points are expiring' },
  historyHeading: { ja: '最近の履歴', en: 'Recent history' },
  noHistory: { ja: 'まだ履歴はありません', en: 'No history yet' },
  couponsHeading: { ja: 'お持ちのクーポン', en: 'Your coupons' },
  noCoupons: { ja: 'お持ちのクーポンはありません', en: 'You have no coupons' },
  couponExpires: { ja: '有効期限', en: 'Valid until' },
  couponCode: { ja: 'クーポンコード', en: 'Coupon code' },
  couponBarcodeLabel: { ja: 'クーポンのバーコード', en: 'Barcode of the coupon' },
  pointsUnavailable: { ja: 'ポイント情報を表示できません。しばらくしてから開き直してください。', en: 'Your points cannot be shown right now. Please reopen the page in a moment.' },
  settingsHeading: { ja: '登録情報', en: 'Your details' },
  birthday: { ja: '誕生日（任意）', en: 'Birthday (optional)' },
  marketingConsent: { ja: 'お得な情報やキャンペーンのメッセージを受け取る', en: 'Send me offers and campaign messages' },
  consentUnconfirmed: { ja: 'まだご確認いただいていません（現在は受け取る設定です）', en: 'Not yet confirmed (you receive them for now)' },
  save: { ja: '保存する', en: 'Save' },
  saved: { ja: '保存しました', en: 'Saved' },
  unlink: { ja: '連携を解除する', en: 'Unlink this LINE account' },
  unlinkConfirm: {
    ja: 'このLINEアカウントと会員の連携を解除しますか？会員証はこのLINEに表示されなくなります。ポイントと会員資格はそのまま残ります。',
    en: 'Unlink this LINE account from your membership? Your card will no longer show in this LINE. Your points and membership stay.',
  },
  unlinkYes: { ja: '解除する', en: 'Unlink' },
  unlinkNo: { ja: 'やめる', en: 'Cancel' },
  claimHeading: { ja: 'レシートのポイントを受け取る', en: 'Get a receipt’s points' },
  claimText: {
    ja: '会員証を出さずにお買い物したときは、レシートのコード（12文字）を入力するとポイントを受け取れます。',
    en: 'Bought without your card? Enter the 12-character code on the receipt to get its points.',
  },
  claimCode: { ja: 'レシートのコード', en: 'Receipt code' },
  claim: { ja: 'ポイントを受け取る', en: 'Get the points' },
  claimScan: { ja: 'QRコードを読み取る', en: 'Scan the QR code' },
  unlinked: { ja: '連携を解除しました。', en: 'This LINE account is no longer linked.' },
  settingsUnavailable: { ja: '登録情報は現在表示できません。', en: 'Your details cannot be shown right now.' },
  welcomeHeading: { ja: 'LINEで会員になる', en: 'Become a member in LINE' },
  welcomeText: {
    ja: '会員登録すると、LINEが会員証になり、お店でもオンラインでもポイントがたまります。',
    en: 'Join to use LINE as your member card and collect points in store and online.',
  },
  joinHeading: { ja: '新規会員登録', en: 'Join' },
  name: { ja: 'お名前', en: 'Name' },
  contact: { ja: '電話番号またはメールアドレス', en: 'Phone number or e-mail' },
  terms: { ja: '会員規約に同意する（必須）', en: 'I agree to the membership terms (required)' },
  join: { ja: '会員登録する', en: 'Join' },
  linkHeading: { ja: 'すでに会員の方', en: 'Already a member?' },
  linkText: {
    ja: '会員番号と、ご登録の電話番号またはメールアドレスで、このLINEアカウントと連携できます。',
    en: 'Link this LINE account with your member number and the phone number or e-mail you registered.',
  },
  linkMemberCode: { ja: '会員番号（13桁）', en: 'Member number (13 digits)' },
  link: { ja: '連携する', en: 'Link' },
  offerLink: {
    ja: 'この電話番号またはメールアドレスは、すでに会員登録されています。下の「すでに会員の方」から連携してください。',
    en: 'This phone number or e-mail is already registered. Link your existing membership below.',
  },
  unauthenticated: {
    ja: 'LINEのログインを確認できませんでした。LINEアプリからこのページを開き直してください。',
    en: 'We could not confirm your LINE login. Please open this page again from the LINE app.',
  },
  notConfigured: { ja: '会員ページは現在ご利用いただけません。', en: 'The member page is not available.' },
  unavailable: { ja: 'ただいま処理できません。しばらくしてからもう一度お試しください。', en: 'We cannot process this right now. Please try again in a moment.' },
  badInput: { ja: '入力内容をご確認ください。', en: 'Please check what you entered.' },
  nameRequired: { ja: 'お名前を入力してください。', en: 'Please enter your name.' },
  contactRequired: { ja: '電話番号またはメールアドレスを入力してください。', en: 'Please enter a phone number or e-mail address.' },
  termsRequired: { ja: '会員規約への同意が必要です。', en: 'Please agree to the membership terms.' },
  birthdayInvalid: { ja: '誕生日を正しく入力してください。', en: 'Please enter a valid birthday.' },
  wrongCredentials: {
    ja: '会員番号、または電話番号・メールアドレスが一致しません。入力内容をご確認ください。',
    en: 'The member number and the phone number or e-mail address do not match. Please check them.',
  },
  tooManyTries: { ja: '入力の回数が上限に達しました。しばらく時間をおいてからお試しください。', en: 'Too many attempts. Please wait a while and try again.' },
  memberLinkedElsewhere: {
    ja: 'この会員は別のLINEアカウントと連携済みです。そのLINEアカウントの会員ページで連携を解除してから、もう一度お試しください。',
    en: 'This membership is linked to another LINE account. Unlink it on that account’s member page first, then try again.',
  },
  lineLinkedElsewhere: { ja: 'このLINEアカウントは別の会員と連携済みです。', en: 'This LINE account is linked to another membership.' },
  notLinked: { ja: 'このLINEアカウントはまだ会員と連携していません。', en: 'This LINE account is not linked to a membership yet.' },
  inactive: {
    ja: '連携していた会員資格は終了しています。新しく会員登録するか、お持ちの会員と連携してください。',
    en: 'The membership linked to this LINE account has ended. Join again, or link another membership you hold.',
  },
  tooLarge: { ja: '入力が長すぎます。', en: 'What you entered is too long.' },
} satisfies Record<string, Text>;

export type MemberPageTextKey = keyof typeof MEMBER_PAGE_TEXT;

/** Where a history entry happened. */
export const CHANNEL_TEXT = {
  STORE: { ja: '店舗', en: 'In store' },
  ONLINE: { ja: 'オンライン', en: 'Online' },
} satisfies Record<string, Text>;

/** What a bonus was for, by the ledger's reason; another reason shows as the plain "bonus". */
export const BONUS_REASON_TEXT = {
  signup: { ja: '入会ボーナス', en: 'Welcome bonus' },
  birthday: { ja: '誕生日ボーナス', en: 'Birthday bonus' },
} satisfies Record<string, Text>;

export const tierProgressText = (next: Text, yen: string): Text => ({
  ja: `${next.ja}まで あと${yen}円のお買い物`,
  en: `Spend ¥${yen} more to reach ${next.en}`,
});

export const TOP_TIER_TEXT: Text = { ja: '最上位ランクです', en: 'You are at the top tier' };
