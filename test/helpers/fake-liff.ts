import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { listen } from '@omo/lib/server/http';

/** What the stand-in SDK gives the page that loads it next: LINE's logged-in user, or nobody. */
export interface LiffSession {
  idToken: string | null;
  /** What liff.getLanguage() answers, as LINE does ("ja", "en-US"). */
  language: string;
}

export interface MintOptions {
  /** The channel the token is for (`aud`); our channel by default. */
  audience?: string;
  /** Seconds from `now` to `exp`; negative for a token that has expired. */
  expiresInSeconds?: number;
  now?: Date;
  /** `stranger`: signed with a key LINE never published, under LINE's key id (a forgery). */
  signedBy?: 'line' | 'stranger';
  name?: string;
}

export interface FakeLiff {
  url: string;
  /** For LIFF_SDK_URL. */
  sdkUrl: string;
  /** For LINE_LOGIN_JWKS_URL: LINE's /oauth2/v2.1/certs, with the one key LINE signs with here. */
  jwksUrl: string;
  channelId: string;
  liffId: string;
  /** The session the SDK hands out from now on. */
  signIn(session: LiffSession): void;
  /** An ID token as LINE's LIFF issues one (ES256, kid, iss https://access.line.me, aud = channel, nonce, amr). */
  mint(lineUserId: string, options?: MintOptions): Promise<string>;
  /** The liffIds pages passed to liff.init(), in order. */
  inits: string[];
  close(): Promise<void>;
}

const CHANNEL_ID = '1657000001';
const LIFF_ID = `${CHANNEL_ID}-AbCdEf12`;

/**
 * LINE's side of the LIFF member page on loopback: the LIFF SDK (a stand-in with the calls the page makes:
 * init, isLoggedIn, login, getIDToken, getLanguage) and LINE Login's key set, with tokens minted the way
 * developers.line.biz/en/docs/line-login/verify-id-token/ describes LIFF's (ES256 with the key set's kid).
 */
export async function startFakeLiff(): Promise<FakeLiff> {
  const kid = randomBytes(16).toString('hex');
  const line = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(line.publicKey)), kid, alg: 'ES256', use: 'sig' };
  let session: LiffSession = { idToken: null, language: 'ja' };
  const inits: string[] = [];

  const server = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/oauth2/v2.1/certs') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ keys: [publicJwk] }));
    }
    if (url.pathname === '/liff/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      return void res.end(sdkScript(session));
    }
    if (url.pathname === '/liff/init' && req.method === 'POST') {
      inits.push(url.searchParams.get('liffId') ?? '');
      res.writeHead(204, { 'access-control-allow-origin': '*' });
      return void res.end();
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found');
  }, 0);

  const sdkScript = (current: LiffSession) => `(function () {
  var session = ${JSON.stringify(current)};
  var ready = false;
  function liffError(code, message) { var e = new Error(message); e.code = code; return e; }
  window.liff = {
    init: function (config) {
      if (!config || typeof config.liffId !== 'string') return Promise.reject(liffError('INVALID_CONFIG', 'liffId is necessary for liff.init()'));
      return fetch(${JSON.stringify(server.url)} + '/liff/init?liffId=' + encodeURIComponent(config.liffId), { method: 'POST' }).then(function () {
        if (config.liffId !== ${JSON.stringify(LIFF_ID)}) throw liffError('INVALID_CONFIG', 'invalid liffId');
        ready = true;
      });
    },
    isLoggedIn: function () { return session.idToken !== null; },
    login: function () { location.href = ${JSON.stringify(server.url)} + '/login'; },
    getIDToken: function () { if (!ready) throw liffError('INIT_FAILED', 'liff.init() has not completed'); return session.idToken; },
    getLanguage: function () { return session.language; }
  };
})();
`;

  return {
    url: server.url,
    sdkUrl: `${server.url}/liff/sdk.js`,
    jwksUrl: `${server.url}/oauth2/v2.1/certs`,
    channelId: CHANNEL_ID,
    liffId: LIFF_ID,
    inits,
    signIn: (next) => void (session = next),
    async mint(lineUserId, options = {}) {
      const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
      const key: KeyLike = options.signedBy === 'stranger' ? stranger.privateKey : line.privateKey;
      return new SignJWT({ nonce: randomBytes(12).toString('base64url'), amr: ['linesso'], name: options.name ?? 'LINE User', picture: 'https://profile.line-scdn.net/0h-fake' })
        .setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid })
        .setIssuer('https://access.line.me')
        .setSubject(lineUserId)
        .setAudience(options.audience ?? CHANNEL_ID)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInSeconds ?? 3600))
        .sign(key);
    },
    close: () => server.close(),
  };
}
