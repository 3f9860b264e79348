import { outcomeMetrics, processRegistry } from './metrics';

export type Provider = 'line' | 'shopify' | 'smaregi';

const calls = outcomeMetrics(processRegistry, 'provider', {
  total: { name: 'omo_external_calls_total', help: 'Calls to LINE, Shopify and Smaregi by outcome: ok, the HTTP status of a refusal, timeout or unreachable' },
  seconds: {
    name: 'omo_external_call_duration_seconds',
    help: 'Time to the answer (or the failure) of a call to LINE, Shopify or Smaregi',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  },
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
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const answer = await call();
    calls.record(provider, String(refusalOf(answer) ?? 'ok'), seconds());
    return answer;
  } catch (error) {
    calls.record(provider, failureOutcome(error), seconds());
    throw error;
  }
}

/** countedCall for a fetch: an answer outside 2xx counts as its status. */
export function countedFetch(provider: Provider, call: () => Promise<Response>): Promise<Response> {
  return countedCall(provider, call, (response) => (response.ok ? undefined : response.status));
}
