import { randomBytes } from 'node:crypto';
import { listen } from '@omo/lib/server/http';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** What the fake answered. */
  status?: number;
}

type FakeMessage = { type: string; altText?: string; text?: string; contents?: unknown };

export interface FailureOptions {
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers?: Record<string, string>;
  /** LINE took the message (its retry key counts as used) but the answer is lost: the caller sees `status`. */
  afterAccepting?: boolean;
}

export interface MulticastCall {
  to: string[];
  retryKey: string | null;
  messages: FakeMessage[];
  /** What the fake answered: 200 accepted, 409 a reused retry key, or a scripted failure. */
  status: number;
}

export interface FakeLineApi {
  url: string;
  requests: RecordedRequest[];
  /** The messages LINE accepted (reply or push), in order, with who they went to. */
  sent(): { via: 'reply' | 'push'; to: string | null; messages: FakeMessage[] }[];
  /** Every multicast request, in order, whatever it was answered. */
  multicasts(): MulticastCall[];
  /** How many times LINE accepted a message for each user, by push or multicast (a 409 replay is not a second one). */
  acceptedPerUser(): Map<string, number>;
  /** The next call to `path` answers `status` (once); calls queue up, so several make a script. */
  failNext(path: string, status: number, body?: unknown, options?: FailureOptions): void;
  /** Reply tokens LINE no longer accepts (used or expired): replies with them get 400. */
  expiredReplyTokens: Set<string>;
  /**
   * The `language` each user's profile answers (GET /v2/bot/profile/{userId}); null leaves the field out, as LINE
   * does for a user who has not agreed to its privacy policy. Users not set answer 'ja'.
   */
  profileLanguages: Map<string, string | null>;
  /** How many times each user's profile was asked for. */
  profileReads(userId: string): number;
  close(): Promise<void>;
}

/**
 * A stand-in for api.line.me on loopback, speaking the Messaging API paths the SDK calls: it records every request
 * and answers like LINE does, including 409 for a reused X-Line-Retry-Key and 400 for a spent reply token.
 */
export async function startFakeLineApi(): Promise<FakeLineApi> {
  const requests: RecordedRequest[] = [];
  const failures: { path: string; status: number; body: unknown; options: FailureOptions }[] = [];
  const retryKeys = new Set<string>();
  /** Who each accepted push or multicast went to; a lost answer is still accepted. */
  const accepted: string[][] = [];
  const expiredReplyTokens = new Set<string>();
  const profileLanguages = new Map<string, string | null>();
  const server = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const body: unknown = raw && req.headers['content-type']?.includes('json') ? JSON.parse(raw) : raw || null;
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
    requests.push(recorded);
    const send = (status: number, payload: unknown, type = 'application/json', headers: Record<string, string> = {}) => {
      recorded.status = status;
      res.writeHead(status, { 'content-type': type, 'x-line-request-id': randomBytes(8).toString('hex'), ...headers });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const sending = path === '/v2/bot/message/push' || path === '/v2/bot/message/multicast';
    const retryKey = sending && typeof req.headers['x-line-retry-key'] === 'string' ? req.headers['x-line-retry-key'] : null;
    const recipients = () => {
      const to = (body as { to?: string | string[] }).to;
      return Array.isArray(to) ? to : to ? [to] : [];
    };
    if (retryKey && retryKeys.has(retryKey)) {
      // LINE answers a reused key with 409 and the id of the request that was accepted, whatever else is wrong
      return send(409, { message: 'The retry key is already accepted' }, 'application/json', { 'x-line-accepted-request-id': retryKey });
    }
    const failure = failures.findIndex((f) => f.path === path);
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      if (f!.options.afterAccepting && sending) {
        if (retryKey) retryKeys.add(retryKey);
        accepted.push(recipients());
      }
      return send(f!.status, f!.body ?? { message: 'fake failure' }, 'application/json', f!.options.headers);
    }
    if (path === '/v2/bot/message/reply') {
      const token = (body as { replyToken?: string }).replyToken ?? '';
      if (expiredReplyTokens.has(token)) return send(400, { message: 'Invalid reply token' });
      expiredReplyTokens.add(token); // a reply token works once
      return send(200, { sentMessages: [] });
    }
    if (sending) {
      if (retryKey) retryKeys.add(retryKey);
      accepted.push(recipients());
      return send(200, { sentMessages: [] });
    }
    const linkToken = /^\/v2\/bot\/user\/([^/]+)\/linkToken$/.exec(path);
    if (linkToken && req.method === 'POST') return send(200, { linkToken: `lt-${randomBytes(12).toString('hex')}` });
    const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(path);
    if (profile) {
      const language = profileLanguages.has(profile[1]!) ? profileLanguages.get(profile[1]!) : 'ja';
      return send(200, { userId: profile[1], displayName: '山田花子', ...(language === null ? {} : { language }) });
    }
    if (/^\/v2\/bot\/user\/[^/]+\/richmenu(\/[^/]+)?$/.test(path)) return send(200, {});
    if (path === '/dialog/bot/accountLink') return send(200, '<!doctype html><title>LINE account link</title><p>LINE</p>', 'text/html');
    return send(404, { message: 'Not found' });
  }, 0);
  return {
    url: server.url,
    requests,
    expiredReplyTokens,
    profileLanguages,
    profileReads: (userId) => requests.filter((r) => r.method === 'GET' && r.path === `/v2/bot/profile/${userId}`).length,
    sent: () =>
      requests
        .filter((r) => (r.path === '/v2/bot/message/reply' || r.path === '/v2/bot/message/push') && r.status === 200)
        .map((r) => {
          const body = r.body as { to?: string; messages: { type: string }[] };
          return { via: r.path.endsWith('reply') ? ('reply' as const) : ('push' as const), to: body.to ?? null, messages: body.messages };
        }),
    multicasts: () =>
      requests
        .filter((r) => r.path === '/v2/bot/message/multicast')
        .map((r) => {
          const body = r.body as { to: string[]; messages: FakeMessage[] };
          const key = r.headers['x-line-retry-key'];
          return { to: body.to, retryKey: typeof key === 'string' ? key : null, messages: body.messages, status: r.status ?? 0 };
        }),
    acceptedPerUser: () => {
      const counts = new Map<string, number>();
      for (const to of accepted) for (const user of to) counts.set(user, (counts.get(user) ?? 0) + 1);
      return counts;
    },
    failNext: (path, status, body, options = {}) => void failures.push({ path, status, body, options }),
    close: () => server.close(),
  };
}
