import { SmaregiRefusedError, SmaregiUnavailableError } from '../smaregi-api';
import { problemSchema } from './smaregi-schemas';

/**
 * What an error answer means: not now (429, 5xx) with when to ask again, or refused with Smaregi's own words; of the
 * whole contract for the token endpoint's answers and for a 401 (only ever after a fresh token) or a 403.
 */
export async function failureOf(response: Response, what: string, now: Date, options: { tokenEndpoint?: boolean } = {}): Promise<Error> {
  const body = problemSchema.safeParse(await response.json().catch(() => null));
  const detail = body.success ? (body.data.detail ?? body.data.error_description ?? body.data.title ?? null) : null;
  const message = `${what}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`;
  if (response.status === 429 || response.status >= 500) {
    return new SmaregiUnavailableError(message, response.status, retryAfterMs(response.headers.get('retry-after'), now));
  }
  const contractWide = options.tokenEndpoint === true || response.status === 401 || response.status === 403;
  return new SmaregiRefusedError(message, response.status, detail, contractWide);
}

/** Retry-After as seconds or as an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
