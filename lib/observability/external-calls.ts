import { Counter, Histogram } from 'prom-client';
import { processRegistry } from './metrics';

export type Provider = 'line' | 'shopify' | 'smaregi';

const calls = new Counter({
  name: 'omo_external_calls_total',
  help: 'Calls to LINE, Shopify and Smaregi by outcome: ok, the HTTP status of a refusal, timeout or unreachable',
  labelNames: ['provider', 'outcome'],
  registers: [processRegistry],
});
const seconds = new Histogram({
  name: 'omo_external_call_duration_seconds',
  help: 'Time to the answer (or the failure) of a call to LINE, Shopify or Smaregi',
  labelNames: ['provider'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  registers: [processRegistry],
});

/** A failed call's outcome: the HTTP status it carries (the LINE SDK's HTTPFetchError), else timeout or unreachable. */
function failureOutcome(error: unknown): string {
  const { status, name } = (error ?? {}) as { status?: unknown; name?: unknown };
  if (typeof status === 'number') return String(status);
  // fetch's timeout is a DOMException, which is no `instanceof Error` across realms: read its name
  return name === 'TimeoutError' || name === 'AbortError' || name === 'LineTimeoutError' ? 'timeout' : 'unreachable';
}

/** Runs one call to a third party and counts it: ok, the status of an answer that refused it, what went wrong. */
export async function countedCall<T>(provider: Provider, call: () => Promise<T>, refusalOf: (answer: T) => number | undefined = () => undefined): Promise<T> {
  const end = seconds.startTimer({ provider });
  try {
    const answer = await call();
    calls.inc({ provider, outcome: String(refusalOf(answer) ?? 'ok') });
    return answer;
  } catch (error) {
    calls.inc({ provider, outcome: failureOutcome(error) });
    throw error;
  } finally {
    end();
  }
}

/** countedCall for a fetch: an answer outside 2xx counts as its status. */
export function countedFetch(provider: Provider, call: () => Promise<Response>): Promise<Response> {
  return countedCall(provider, call, (response) => (response.ok ? undefined : response.status));
}
