import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Hiragino Sans","Noto Sans JP",sans-serif;background:#f4f6f5;color:#1e2421;line-height:1.6}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1.25rem}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{margin:0 0 1rem}
.en{display:block;color:#5b6660;font-size:.85rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;font-size:1.1rem;padding:.7rem .8rem;border:1px solid #b9c2bd;border-radius:.5rem;background:#fff}
button{width:100%;margin-top:1.5rem;font-size:1.1rem;font-weight:700;padding:.85rem;border:0;border-radius:.5rem;background:#06c755;color:#fff}
.error{background:#fdecea;color:#8a1c12;border-radius:.5rem;padding:.75rem 1rem}
.note{color:#5b6660;font-size:.85rem;margin-top:1.5rem}
`;

/** The one inline style is allowed by its hash: the page runs no script and loads nothing else. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The page's Content-Security-Policy. form-action must also allow LINE's dialog: browsers apply it to the
 * redirect that follows the form post.
 */
export function pageSecurityPolicy(accountLinkUrl: string): string {
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    `form-action 'self' ${new URL(accountLinkUrl).origin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

interface Text {
  ja: string;
  en: string;
}

function layout(title: Text, body: string): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title.ja)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title.ja)}<span class="en" lang="en">${escapeHtml(title.en)}</span></h1>
${body}
</main>
</body>
</html>
`;
}

function paragraph(text: Text, className?: string): string {
  const attr = className ? ` class="${className}"` : '';
  return `<p${attr}>${escapeHtml(text.ja)}<span class="en" lang="en">${escapeHtml(text.en)}</span></p>`;
}

const TITLE: Text = { ja: 'LINEアカウント連携', en: 'Link your LINE account' };

/** The login form. The link token travels in a hidden field: it is the only thing tying the post to a LINE user. */
export function linkFormPage(options: { linkToken: string; memberCode?: string; error?: Text }): string {
  const error = options.error ? `<div class="error" role="alert">${paragraph(options.error)}</div>` : '';
  return layout(
    TITLE,
    `${paragraph({
      ja: '会員番号と、ご登録の電話番号またはメールアドレスを入力してください。',
      en: 'Enter your member number and the phone number or e-mail address you registered.',
    })}
${error}
<form method="post" action="link">
<input type="hidden" name="linkToken" value="${escapeHtml(options.linkToken)}">
<label for="memberCode">会員番号 <span class="en" lang="en">Member number (13 digits)</span></label>
<input id="memberCode" name="memberCode" inputmode="numeric" autocomplete="off" maxlength="40" required value="${escapeHtml(options.memberCode ?? '')}">
<label for="contact">電話番号またはメールアドレス <span class="en" lang="en">Phone number or e-mail</span></label>
<input id="contact" name="contact" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="254" required>
<button type="submit">連携する <span lang="en">Link</span></button>
</form>
${paragraph(
  {
    ja: '連携すると、LINEでポイント残高や会員証を確認できます。このページの有効期限は10分です。',
    en: 'Once linked, you can check your points and member card in LINE. This page works for 10 minutes.',
  },
  'note',
)}`,
  );
}

/** A page with a message and no form: expired link, too many tries, already linked. */
export function messagePage(message: Text): string {
  return layout(TITLE, paragraph(message));
}

export const PAGE_TEXT = {
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
    ja: 'この会員は別のLINEアカウントと連携済みです。会員ページで連携を解除してから、もう一度お試しください。',
    en: 'This membership is linked to another LINE account. Unlink it on the member page first.',
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
