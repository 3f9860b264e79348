import { randomBytes } from 'node:crypto';
import { listen } from '@omo/lib/subgraph-server';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** What the fake answered. */
  status?: number;
}

export interface FakeLineApi {
  url: string;
  requests: RecordedRequest[];
  /** The messages LINE accepted (reply or push), in order, with who they went to. */
  sent(): { via: 'reply' | 'push'; to: string | null; messages: { type: string; altText?: string; text?: string; contents?: unknown }[] }[];
  /** The next call to `path` answers `status` (once). */
  failNext(path: string, status: number, body?: unknown): void;
  /** Reply tokens LINE no longer accepts (used or expired): replies with them get 400. */
  expiredReplyTokens: Set<string>;
  close(): Promise<void>;
}

/**
 * A stand-in for api.line.me on loopback, speaking the Messaging API paths the SDK calls: it records every request
 * and answers like LINE does, including 409 for a reused X-Line-Retry-Key and 400 for a spent reply token.
 */
export async function startFakeLineApi(): Promise<FakeLineApi> {
  const requests: RecordedRequest[] = [];
  const failures: { path: string; status: number; body: unknown }[] = [];
  const retryKeys = new Set<string>();
  const expiredReplyTokens = new Set<string>();
  const server = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const body: unknown = raw && req.headers['content-type']?.includes('json') ? JSON.parse(raw) : raw || null;
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
    requests.push(recorded);
    const send = (status: number, payload: unknown, type = 'application/json') => {
      recorded.status = status;
      res.writeHead(status, { 'content-type': type, 'x-line-request-id': randomBytes(8).toString('hex') });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const failure = failures.findIndex((f) => f.path === path);
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      return send(f!.status, f!.body ?? { message: 'fake failure' });
    }
    if (path === '/v2/bot/message/reply') {
      const token = (body as { replyToken?: string }).replyToken ?? '';
      if (expiredReplyTokens.has(token)) return send(400, { message: 'Invalid reply token' });
      expiredReplyTokens.add(token); // a reply token works once
      return send(200, { sentMessages: [] });
    }
    if (path === '/v2/bot/message/push' || path === '/v2/bot/message/multicast') {
      const key = req.headers['x-line-retry-key'];
      if (typeof key === 'string') {
        if (retryKeys.has(key)) return send(409, { message: 'The retry key is already accepted' });
        retryKeys.add(key);
      }
      return send(200, { sentMessages: [] });
    }
    const linkToken = /^\/v2\/bot\/user\/([^/]+)\/linkToken$/.exec(path);
    if (linkToken && req.method === 'POST') return send(200, { linkToken: `lt-${randomBytes(12).toString('hex')}` });
    const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(path);
    if (profile) return send(200, { userId: profile[1], displayName: '山田花子', language: 'ja' });
    if (/^\/v2\/bot\/user\/[^/]+\/richmenu(\/[^/]+)?$/.test(path)) return send(200, {});
    if (path === '/dialog/bot/accountLink') return send(200, '<!doctype html><title>LINE account link</title><p>LINE</p>', 'text/html');
    return send(404, { message: 'Not found' });
  }, 0);
  return {
    url: server.url,
    requests,
    expiredReplyTokens,
    sent: () =>
      requests
        .filter((r) => (r.path === '/v2/bot/message/reply' || r.path === '/v2/bot/message/push') && r.status === 200)
        .map((r) => {
          const body = r.body as { to?: string; messages: { type: string }[] };
          return { via: r.path.endsWith('reply') ? ('reply' as const) : ('push' as const), to: body.to ?? null, messages: body.messages };
        }),
    failNext: (path, status, body) => void failures.push({ path, status, body }),
    close: () => server.close(),
  };
}
