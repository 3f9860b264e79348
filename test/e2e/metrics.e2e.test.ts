import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { deliverLineEvent, startTestSystem, ok, recordOneLinePurchase, type TestSystem } from '../helpers/system';

/**
 * GET /metrics of the gateway and the subgraphs after real requests through the gateway, and a subgraph's /ready
 * failing while one of its outboxes has an item due for longer than READY_MAX_OUTBOX_AGE_SECONDS.
 */
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const MAX_OUTBOX_AGE_SECONDS = 600;

let system: TestSystem;
let line: FakeLineApi;
let storeId: string;
let memberId: string;

beforeAll(async () => {
  line = await startFakeLineApi();
  system = await startTestSystem(
    { METRICS_TOKEN, READY_MAX_OUTBOX_AGE_SECONDS: String(MAX_OUTBOX_AGE_SECONDS), LINE_API_BASE_URL: line.url },
    undefined,
    { runBackground: false },
  );
  storeId = ok(
    await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "M001", name: "計測店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders()),
  ).createStore.id;
  memberId = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: '計測', email: 'metrics@example.com', registeredVia: 'STORE', registeredStoreId: storeId } },
      system.staffHeaders(),
    ),
  ).registerMember.id;
});
afterAll(async () => {
  await system.close();
  await line.close();
});

async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, by its name and exact labels as Prometheus's text format writes them; null if absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(',') : [];
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return null;
}

const gatewayBase = () => system.gatewayUrl.replace(/\/graphql$/, '');

describe('/metrics', () => {
  it('counts a purchase through the gateway: the operation, its outcome, the database commands, the outbox gauges', async () => {
    const status = await recordOneLinePurchase(system, { idempotencyKey: 'metrics-1', storeId, memberId, yen: 1200, occurredAt: new Date() });
    expect(status).toBe('COMPLETED');

    const gateway = await scrape(gatewayBase());
    expect(sample(gateway, 'omo_graphql_requests_total', { operation: 'recordPurchase', outcome: 'ok' })).toBe(1);
    expect(sample(gateway, 'omo_graphql_request_duration_seconds_count', { operation: 'recordPurchase' })).toBe(1);
    expect(sample(gateway, 'omo_http_responses_total', { status: '200' })).toBeGreaterThanOrEqual(1);

    const purchases = await scrape(system.subgraphs.purchases.url);
    expect(sample(purchases, 'omo_graphql_requests_total', { operation: 'recordPurchase', outcome: 'ok' })).toBe(1);
    expect(sample(purchases, 'omo_db_commands_total', { command: 'insert', outcome: 'ok' })).toBeGreaterThan(0);
    // the workers are off, so the settlement the purchase queued is still in its outbox
    const queued = await system.db.collection('purchases_outbox').countDocuments({ doneAt: null });
    expect(queued).toBeGreaterThan(0);
    expect(sample(purchases, 'omo_outbox_pending_items', { outbox: 'purchases' })).toBe(queued);
    // the workers are off here, so what the purchase queued is still due: a wait, however short
    expect(sample(purchases, 'omo_outbox_oldest_due_seconds', { outbox: 'purchases' })).toBeGreaterThanOrEqual(0);
    expect(sample(purchases, 'omo_purchases_by_state', { state: 'SETTLEMENT_FAILED' })).toBe(0);
    // the process's own metrics ride along
    expect(sample(purchases, 'process_cpu_seconds_total')).not.toBeNull();

    const points = await scrape(system.subgraphs.points.url);
    expect(sample(points, 'omo_db_commands_total', { command: 'insert', outcome: 'ok' })).toBeGreaterThan(0);
    const members = await scrape(system.subgraphs.members.url);
    for (const outbox of ['members', 'partner_webhooks']) {
      const pending = await system.db.collection(`${outbox}_outbox`).countDocuments({ doneAt: null });
      expect(sample(members, 'omo_outbox_pending_items', { outbox })).toBe(pending);
    }
    // the member's sign-up bonus waits in members' outbox
    expect(sample(members, 'omo_outbox_pending_items', { outbox: 'members' })).toBeGreaterThan(0);
    expect(sample(await scrape(system.subgraphs.line.url), 'omo_line_deliveries_open')).toBe(0);
  });

  it('counts a refused request under its error code', async () => {
    const before = sample(await scrape(gatewayBase()), 'omo_graphql_requests_total', { operation: 'recordPurchase', outcome: 'BAD_USER_INPUT' }) ?? 0;
    const refused = await system.graphql(
      'mutation RecordNothing($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status } }',
      { input: { idempotencyKey: 'metrics-bad', storeId, memberId, lines: [], total: -1, occurredAt: new Date().toISOString() } },
      system.staffHeaders(),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(sample(await scrape(gatewayBase()), 'omo_graphql_requests_total', { operation: 'recordPurchase', outcome: 'BAD_USER_INPUT' })).toBe(before + 1);
  });

  it('labels operations by their root fields, so made-up operation names cannot use up the labels', async () => {
    for (let sent = 0; sent < 320; sent += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => system.graphql(`query Invented${sent + i} { __typename }`, {}, system.staffHeaders())));
    }
    const before = sample(await scrape(gatewayBase()), 'omo_graphql_requests_total', { operation: 'member', outcome: 'ok' }) ?? 0;
    ok(await system.graphql('query WhoIsIt($id: ID!) { member(id: $id) { id } }', { id: memberId }, system.staffHeaders()));

    const gateway = await scrape(gatewayBase());
    expect(sample(gateway, 'omo_graphql_requests_total', { operation: 'other' })).toBeNull();
    expect(sample(gateway, 'omo_graphql_requests_total', { operation: '__typename', outcome: 'ok' })).toBe(320);
    expect(sample(gateway, 'omo_graphql_requests_total', { operation: 'member', outcome: 'ok' })).toBe(before + 1);
  });

  it('counts the calls to LINE by what LINE answered', async () => {
    line.failNext('/v2/bot/message/reply', 500);
    const follow = JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/line/webhook-follow.json'), 'utf8')) as { events: Record<string, unknown>[] };
    await deliverLineEvent(system, follow.events[0]!);

    const answered = new Map<string, number>();
    for (const request of line.requests) {
      const outcome = request.status !== undefined && request.status < 300 ? 'ok' : String(request.status);
      answered.set(outcome, (answered.get(outcome) ?? 0) + 1);
    }
    expect(answered.get('500')).toBe(1);
    const metrics = await scrape(system.subgraphs.line.url);
    for (const [outcome, calls] of answered) expect(sample(metrics, 'omo_external_calls_total', { provider: 'line', outcome })).toBe(calls);
    expect(sample(metrics, 'omo_external_call_duration_seconds_count', { provider: 'line' })).toBe(line.requests.length);
  });

  it('answers only the metrics token when one is configured', async () => {
    for (const base of [gatewayBase(), system.subgraphs.points.url]) {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    }
  });
});

describe('/ready and the outboxes', () => {
  it('fails while an outbox item has been due for longer than the limit, and recovers once it is carried out', async () => {
    const members = system.subgraphs.members;
    const ready = () => fetch(`${members.url}/ready`).then(async (response) => ({ status: response.status, body: (await response.json()) as { status: string; reason?: string } }));
    expect((await ready()).status).toBe(200);

    // an item due an hour ago that no worker has carried out (the workers are off in this system, as if they had died)
    const dueSince = new Date(Date.now() - 3_600_000);
    await members.built.outbox.enqueue(`signup-bonus:${memberId}:late`, 'signup-bonus', { memberId }, { notBefore: dueSince });

    const failing = await ready();
    expect(failing.status).toBe(503);
    expect(failing.body.status).toBe('unavailable');
    expect(failing.body.reason).toMatch(new RegExp(`^outbox members: an item has been due for \\d+ s \\(limit ${MAX_OUTBOX_AGE_SECONDS} s\\)$`));
    expect(sample(await scrape(members.url), 'omo_outbox_oldest_due_seconds', { outbox: 'members' })).toBeGreaterThan(3_500);
    // the other services' outboxes are theirs: their /ready is not affected
    expect((await fetch(`${system.subgraphs.points.url}/ready`)).status).toBe(200);

    await members.built.outbox.drain();
    const recovered = await ready();
    expect(recovered).toEqual({ status: 200, body: expect.objectContaining({ status: 'ready' }) });
    expect(sample(await scrape(members.url), 'omo_outbox_oldest_due_seconds', { outbox: 'members' })).toBe(0);
  });
});
