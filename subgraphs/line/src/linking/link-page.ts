import { createHash } from 'node:crypto';
import { LINK_PAGE } from '../i18n/link.messages';
import { say, type Locale, type Text } from '../i18n/locale';

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

/** The page in one language: the texts, and the `lang` the form posts back so its answer is in the same one. */
function layout(locale: Locale, body: string): string {
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(say(LINK_PAGE.title, locale))}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(say(LINK_PAGE.title, locale))}</h1>
${body}
</main>
</body>
</html>
`;
}

function paragraph(locale: Locale, text: Text, className?: string): string {
  const attr = className ? ` class="${className}"` : '';
  return `<p${attr}>${escapeHtml(say(text, locale))}</p>`;
}

/** The login form. The link token travels in a hidden field: it is the only thing tying the post to a LINE user. */
export function linkFormPage(locale: Locale, options: { linkToken: string; memberCode?: string; error?: Text }): string {
  const error = options.error ? `<div class="error" role="alert">${paragraph(locale, options.error)}</div>` : '';
  return layout(
    locale,
    `${paragraph(locale, LINK_PAGE.intro)}
${error}
<form method="post" action="link">
<input type="hidden" name="linkToken" value="${escapeHtml(options.linkToken)}">
<input type="hidden" name="lang" value="${locale}">
<label for="memberCode">${escapeHtml(say(LINK_PAGE.memberCode, locale))}</label>
<input id="memberCode" name="memberCode" inputmode="numeric" autocomplete="off" maxlength="40" required value="${escapeHtml(options.memberCode ?? '')}">
<label for="contact">${escapeHtml(say(LINK_PAGE.contact, locale))}</label>
<input id="contact" name="contact" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="254" required>
<button type="submit">${escapeHtml(say(LINK_PAGE.submit, locale))}</button>
</form>
${paragraph(locale, LINK_PAGE.note, 'note')}`,
  );
}

/** A page with a message and no form: expired link, too many tries, already linked. */
export function messagePage(locale: Locale, message: Text): string {
  return layout(locale, paragraph(locale, message));
}
