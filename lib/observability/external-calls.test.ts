import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { countedFetch } from './external-calls';
import { processRegistry } from './metrics';

/** A loopback server answering `/ok` 200, `/busy` 429, and never answering `/hang`. */
let server: RunningHttpServer;
beforeAll(async () => {
  server = await listen((req, res) => {
    if (req.url === '/ok') return void res.writeHead(200).end('{}');
    if (req.url === '/busy') return void res.writeHead(429, { 'retry-after': '1' }).end();
  }, 0);
});
afterAll(() => server.close());

async function calls(outcome: string): Promise<number> {
  const metric = await processRegistry.getSingleMetric('omo_external_calls_total')!.get();
  return metric.values.find((v) => v.labels.provider === 'shopify' && v.labels.outcome === outcome)?.value ?? 0;
}

describe('countedFetch', () => {
  it('counts an answer as ok or by its status, and a failure as timeout or unreachable, passing each on', async () => {
    expect((await countedFetch('shopify', () => fetch(`${server.url}/ok`))).status).toBe(200);
    expect((await countedFetch('shopify', () => fetch(`${server.url}/busy`))).status).toBe(429);
    await expect(countedFetch('shopify', () => fetch(`${server.url}/hang`, { signal: AbortSignal.timeout(50) }))).rejects.toMatchObject({ name: 'TimeoutError' });
    const closed = await listen(() => undefined, 0);
    await closed.close();
    await expect(countedFetch('shopify', () => fetch(`${closed.url}/ok`))).rejects.toThrow('fetch failed');

    expect({ ok: await calls('ok'), busy: await calls('429'), timeout: await calls('timeout'), unreachable: await calls('unreachable') }).toEqual({
      ok: 1,
      busy: 1,
      timeout: 1,
      unreachable: 1,
    });
  });
});
