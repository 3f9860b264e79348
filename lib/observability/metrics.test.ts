import { ServiceMetrics } from './metrics';

/** The value of a sample in Prometheus's text format, by its whole series (`name{labels}`); null if absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('ServiceMetrics.render with a failing scrape-time gauge', () => {
  it('still answers, keeps the failing gauge at its last value and counts the failure', async () => {
    let backlog: number | Error = 7;
    const metrics = new ServiceMetrics({
      gauges: [
        { name: 'test_backlog', help: 'fails when told to', read: async () => (backlog instanceof Error ? Promise.reject(backlog) : [{ value: backlog }]) },
        { name: 'test_open', help: 'always answers', read: async () => [{ value: 3 }] },
      ],
    });
    expect(sample((await metrics.render()).body, 'test_backlog')).toBe(7);

    backlog = new Error('database unreachable');
    const body = (await metrics.render()).body;
    expect(sample(body, 'test_backlog')).toBe(7);
    expect(sample(body, 'test_open')).toBe(3);
    expect(sample(body, 'omo_metrics_refresh_errors_total{gauge="test_backlog"}')).toBe(1);
  });

  it('gives up on a gauge whose query does not answer within the refresh timeout', async () => {
    const metrics = new ServiceMetrics({
      gauges: [{ name: 'test_stuck', help: 'never answers', read: () => new Promise(() => undefined) }],
      refreshTimeoutMs: 50,
    });
    const body = (await metrics.render()).body;
    expect(sample(body, 'omo_metrics_refresh_errors_total{gauge="test_stuck"}')).toBe(1);
  });
});
