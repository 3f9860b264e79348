import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /**
   * The body of each request, asked for once per request (distinct idempotency keys, replays...). `connection`
   * is autocannon's per-connection context: with one request in flight per connection, what is stored there
   * is seen again by `onAnswer` for the answer to that request.
   */
  body: (connection: Record<string, unknown>) => string;
  /** Called with every answer that is a success (2xx, no GraphQL errors). */
  onAnswer?: (body: string, connection: Record<string, unknown>) => void;
}

export interface LoadStats {
  /** Answers received within the run. */
  requests: number;
  /** Requests sent, including those still in flight when the run ended (the server finishes them). */
  sent: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Non-2xx answers, answers carrying GraphQL errors, and timeouts or socket errors. */
  errors: number;
  /** The first failed answer, to tell what went wrong. */
  firstError: string | null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Number((sorted[index] as number).toFixed(2));
}

/**
 * Runs autocannon against one GraphQL endpoint on loopback and measures every response itself: latencies go into
 * an array (autocannon's own histogram has no p95), and each body is checked for GraphQL errors, which HTTP
 * status alone does not show.
 */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const fail = (text: string) => {
    errors += 1;
    firstError ??= text.slice(0, 500);
  };
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        timeout: 120,
        requests: [
          {
            setupRequest: (request, context) => ({ ...request, body: options.body(context as Record<string, unknown>) }),
            onResponse: (status, body, context) => {
              if (status < 200 || status > 299 || body.includes('"errors":')) fail(`${status} ${body}`);
              else options.onAnswer?.(body, context as Record<string, unknown>);
            },
          },
        ],
      },
      (error, finished) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
    instance.on('reqError', (error: unknown) => fail(`request error: ${String(error)}`));
  });
  return loadStats({ latencies, sent: result.requests.sent, seconds: Number(process.hrtime.bigint() - started) / 1e9, errors, firstError });
}

/** A run's figures from every answer's latency (ms), the requests sent and the run's wall time. */
export function loadStats(run: { latencies: number[]; sent: number; seconds: number; errors: number; firstError: string | null }): LoadStats {
  const latencies = [...run.latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    sent: run.sent,
    seconds: Number(run.seconds.toFixed(2)),
    requestsPerSecond: Number((latencies.length / run.seconds).toFixed(1)),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    errors: run.errors,
    firstError: run.firstError,
  };
}
