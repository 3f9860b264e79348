import { say, type Locale } from '../i18n/locale';
import { MEMBER_PAGE_TEXT } from '../i18n/member-page.messages';
import { escapeHtml } from '../linking/link-page';

/** Where the page, its own script and style, and its JSON API are served. */
export const MEMBER_PAGE_PATH = '/line/member';
export const MEMBER_PAGE_ASSETS = `${MEMBER_PAGE_PATH}/assets`;
export const MEMBER_PAGE_API = `${MEMBER_PAGE_PATH}/api`;

/**
 * Origins the LIFF SDK itself talks to from the page (its init, login and token calls). The SDK is LINE's code and
 * not ours to narrow; our own script calls only our API, on the page's origin.
 */
const LIFF_SDK_CONNECT = ['https://api.line.me', 'https://access.line.me', 'https://liffsdk.line-scdn.net'];

/**
 * No inline script and no inline style: scripts from our origin and the SDK's, styles and images from ours (the
 * barcodes are inline SVG elements, which img-src does not govern), fetches to ours and the SDK's.
 */
export function memberPageSecurityPolicy(sdkUrl: string): string {
  const sdk = new URL(sdkUrl).origin;
  return [
    "default-src 'none'",
    `script-src 'self' ${sdk}`,
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${[...new Set([sdk, ...LIFF_SDK_CONNECT])].join(' ')}`,
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** A JSON data block may not contain "</script>": every "<" is written as its escape. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The page's shell: what shows before the script has asked who the user is (the loading line, in the `lang`
 * query's locale or Japanese), and the whole catalogue of the page's texts in both locales as a data block, from
 * which the script words everything in the locale the API answers with (LIFF's language unless `lang` says
 * otherwise). `liffId` null: the page is not set up and says so, loading nothing.
 */
export function memberPageHtml(options: { locale: Locale; liffId: string | null; sdkUrl: string }): string {
  const { locale, liffId } = options;
  const body = liffId
    ? `<main id="app" data-liff-id="${escapeHtml(liffId)}" data-api="${MEMBER_PAGE_API}">
<p id="status" role="status">${escapeHtml(say(MEMBER_PAGE_TEXT.loading, locale))}</p>
</main>
<script type="application/json" id="texts">${jsonForScript(MEMBER_PAGE_TEXT)}</script>`
    : `<main id="app"><p role="alert">${escapeHtml(say(MEMBER_PAGE_TEXT.notConfigured, locale))}</p></main>`;
  const scripts = liffId
    ? `<script src="${escapeHtml(options.sdkUrl)}"></script>
<script src="${MEMBER_PAGE_ASSETS}/member-page-claim.js" defer></script>
<script src="${MEMBER_PAGE_ASSETS}/member-page.js" defer></script>`
    : '';
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(say(MEMBER_PAGE_TEXT.title, locale))}</title>
<link rel="stylesheet" href="${MEMBER_PAGE_ASSETS}/member-page.css">
${scripts}
</head>
<body>
${body}
</body>
</html>
`;
}
