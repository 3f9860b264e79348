import { createHash } from 'node:crypto';
import { HTTPFetchError, LINE_REQUEST_ID_HTTP_HEADER_NAME, messagingApi } from '@line/bot-sdk';
import { z } from 'zod';
import type { AppConfig } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import { countedCall } from '@omo/lib/observability/external-calls';

export class LineTimeoutError extends Error {
  constructor(operation: string, ms: number) {
    super(`LINE ${operation} did not answer within ${ms} ms`);
    this.name = 'LineTimeoutError';
  }
}

/** A UUID-shaped retry key derived from what the message answers, so a retried push is deduplicated by LINE. */
export function retryKeyFor(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What a failed LINE call means for whoever retries it. */
export interface LineFailure {
  /** LINE's HTTP status, or null when LINE did not answer (timeout, network). */
  status: number | null;
  /** 429, 5xx, a timeout or a network failure: the same request (with its retry key) may succeed later. */
  retryable: boolean;
  /** LINE's Retry-After, when it sent one. */
  retryAfterMs: number | null;
  /** For operators: the status and LINE's message and details. */
  reason: string;
}

export function lineFailureOf(error: unknown, now: Date): LineFailure {
  if (!(error instanceof HTTPFetchError)) {
    return { status: null, retryable: true, retryAfterMs: null, reason: error instanceof Error ? error.message : String(error) };
  }
  return {
    status: error.status,
    retryable: error.status === 429 || error.status >= 500,
    retryAfterMs: retryAfterMs(error.headers.get('retry-after'), now),
    reason: `LINE ${error.status}: ${lineErrorMessage(error.body)}`,
  };
}

/** Retry-After is delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** LINE's error body: a message, and details when there are any (anything but a list of them counts as none). */
const lineErrorSchema = z.object({
  message: z.string(),
  details: z.unknown().optional().transform((details) => (Array.isArray(details) ? (details as unknown[]) : [])).pipe(z.array(z.object({ property: z.unknown(), message: z.unknown() }))),
});

/** LINE's error body is `{ message, details: [{ message, property }] }`; anything else is shown as it came. */
function lineErrorMessage(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body.slice(0, 500);
  }
  const parsed = lineErrorSchema.safeParse(json);
  if (!parsed.success) return body.slice(0, 500);
  const { message, details } = parsed.data;
  const parts = details.map((d) => [d.property, d.message].filter((part): part is string => typeof part === 'string').join(': '));
  return parts.length > 0 ? `${message} (${parts.join('; ')})` : message;
}

/**
 * Everything we ask of LINE, through @line/bot-sdk's MessagingApiClient. The SDK has no timeout of its own, so
 * each call is raced against LINE_TIMEOUT_MS; failures are logged with LINE's x-line-request-id for support.
 */
export class LineClient {
  private readonly api: messagingApi.MessagingApiClient;

  constructor(
    private readonly config: Pick<AppConfig, 'LINE_CHANNEL_ACCESS_TOKEN' | 'LINE_API_BASE_URL' | 'LINE_TIMEOUT_MS' | 'LINE_MEMBER_RICH_MENU_ID' | 'LINE_GUEST_RICH_MENU_ID'>,
    private readonly logger: Logger,
  ) {
    this.api = new messagingApi.MessagingApiClient({ channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN, baseURL: config.LINE_API_BASE_URL });
  }

  private async call<T>(operation: string, work: () => Promise<T>, timeoutMs = this.config.LINE_TIMEOUT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LineTimeoutError(operation, timeoutMs)), timeoutMs);
    });
    try {
      return await countedCall('line', () => Promise.race([work(), timeout]));
    } catch (error) {
      if (error instanceof HTTPFetchError) {
        this.logger.warn({ operation, status: error.status, lineRequestId: error.headers.get(LINE_REQUEST_ID_HTTP_HEADER_NAME), body: error.body }, 'LINE API call failed');
      } else {
        this.logger.warn({ operation, err: error }, 'LINE API call failed');
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Answers an event: with its reply token when there is one, else (or when the token is used or expired, as on
   * a redelivered event) by push to `to` (the user, or the group or multi-person chat the event came from), with a
   * retry key derived from the event so a retried push is not sent twice.
   */
  async answer(event: { replyToken?: string | null; webhookEventId: string }, to: string, messages: messagingApi.Message[]): Promise<void> {
    if (event.replyToken) {
      try {
        await this.call('reply', () => this.api.replyMessage({ replyToken: event.replyToken!, messages }));
        return;
      } catch (error) {
        // 400 = invalid (used or expired) reply token: fall back to push; anything else is retried by the queue
        if (!(error instanceof HTTPFetchError && error.status === 400)) throw error;
      }
    }
    await this.push(to, messages, retryKeyFor(`answer:${event.webhookEventId}`));
  }

  async push(userId: string, messages: messagingApi.Message[], retryKey: string): Promise<void> {
    try {
      await this.call('push', () => this.api.pushMessage({ to: userId, messages }, retryKey));
    } catch (error) {
      // 409: a message with this retry key was already accepted: it is sent
      if (error instanceof HTTPFetchError && error.status === 409) return;
      throw error;
    }
  }

  /** One message set to up to 500 users; like push, a 409 for the retry key means LINE already accepted it. */
  async multicast(userIds: string[], messages: messagingApi.Message[], retryKey: string): Promise<void> {
    try {
      await this.call('multicast', () => this.api.multicast({ to: userIds, messages }, retryKey));
    } catch (error) {
      if (error instanceof HTTPFetchError && error.status === 409) return;
      throw error;
    }
  }

  async issueLinkToken(userId: string): Promise<string> {
    return (await this.call('issueLinkToken', () => this.api.issueLinkToken(userId))).linkToken;
  }

  /**
   * The user's profile language (a BCP 47 tag; null when LINE has none, before the user agreed to LINE's privacy
   * policy). Throws when LINE does not answer within `timeoutMs` or refuses (404: not a friend).
   */
  async profileLanguage(userId: string, timeoutMs: number): Promise<string | null> {
    return (await this.call('getProfile', () => this.api.getProfile(userId), Math.min(timeoutMs, this.config.LINE_TIMEOUT_MS))).language ?? null;
  }

  /** The user's name and language as their profile gives them; null when LINE does not answer (logged by `call`). */
  async profile(userId: string): Promise<{ displayName: string; language: string | null } | null> {
    try {
      const profile = await this.call('getProfile', () => this.api.getProfile(userId));
      return { displayName: profile.displayName, language: profile.language ?? null };
    } catch {
      return null;
    }
  }

  /** Members get the members' rich menu; no-op until a menu id is configured (`npm run line:richmenus`). */
  async showMemberMenu(userId: string): Promise<void> {
    const menu = this.config.LINE_MEMBER_RICH_MENU_ID;
    if (menu) await this.call('linkRichMenuIdToUser', () => this.api.linkRichMenuIdToUser(userId, menu));
  }

  /** Back to the default (non-member) menu: the per-user menu is removed, or set to the guest menu if configured. */
  async showGuestMenu(userId: string): Promise<void> {
    const guest = this.config.LINE_GUEST_RICH_MENU_ID;
    if (guest) await this.call('linkRichMenuIdToUser', () => this.api.linkRichMenuIdToUser(userId, guest));
    else if (this.config.LINE_MEMBER_RICH_MENU_ID) await this.call('unlinkRichMenuIdFromUser', () => this.api.unlinkRichMenuIdFromUser(userId));
  }
}
