import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { REPO_ROOT } from '@omo/lib/core/config';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { waitForReadyLine } from '@omo/lib/server/server-process';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A trace across processes: the gateway and points run as their own processes with tracing on (OpenTelemetry's
 * instrumentation only patches modules as a real process loads them, not in jest's registry), exporting to a
 * loopback OTLP/HTTP receiver; members stays in the test process behind a proxy that keeps the `traceparent` of
 * every request it passes on. `{ me { points } }` as a customer goes gateway -> members and gateway -> points,
 * and points asks members' internal API who the customer is: all of it must carry the client's trace id.
 */
const NODE_ARGS = ['--import', 'tsx'];

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** The parts of an OTLP/JSON export request read here. */
interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[];
  }[];
}

let system: TestSystem;
let receiver: RunningHttpServer;
let proxy: RunningHttpServer;
const spans: ExportedSpan[] = [];
/** Who waits for the next batch of spans. */
const onBatch: (() => void)[] = [];
const proxied: { path: string; traceparent: string | undefined; baggage: string | undefined }[] = [];
const children: ChildProcess[] = [];
let gatewayUrl: string;
let memberId: string;

/** An OTLP/HTTP receiver taking JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), keeping every span it is sent. */
function otlpReceiver(): Promise<RunningHttpServer> {
  return listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpTraces;
    for (const resource of body.resourceSpans) {
      const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans) {
          const attributes = Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
          spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name, attributes });
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    for (const waiting of onBatch.splice(0)) waiting();
  }, 0);
}

/** Passes every request on to `target` and notes its path and traceparent. */
function recordingProxy(target: string): Promise<RunningHttpServer> {
  return listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
    proxied.push({ path: req.url ?? '', traceparent: first(req.headers.traceparent), baggage: first(req.headers.baggage) });
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
  }, 0);
}

/** A port nobody listens on now (the child binds it a moment later; a clash fails its start loudly). */
async function freePort(): Promise<number> {
  const server = await listen(() => undefined, 0);
  await server.close();
  return server.port;
}

async function startProcess(name: string, entry: string, marker: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [...NODE_ARGS, entry], {
    cwd: REPO_ROOT,
    env: system.processEnv({
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // the batch is sent soon after a span ends, so the test waits on the spans, not on the default 5 s
      OTEL_BSP_SCHEDULE_DELAY: '50',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await waitForReadyLine(child, name, marker, 60_000, 'stdout');
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  const store = ok(await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "T001", name: "追跡店", kind: PHYSICAL }) { id } }', {}, system.adminHeaders()));
  memberId = ok(
    await system.graphql<{ registerMember: { id: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }',
      { input: { displayName: '追跡', email: 'trace@example.com', registeredVia: 'STORE', registeredStoreId: store.createStore.id } },
      system.staffHeaders(),
    ),
  ).registerMember.id;
  receiver = await otlpReceiver();
  proxy = await recordingProxy(system.subgraphs.members.url);
  const [pointsPort, gatewayPort] = [await freePort(), await freePort()];
  const pointsUrl = `http://127.0.0.1:${pointsPort}/graphql`;
  const others = { PURCHASES_URL: `${system.subgraphs.purchases.url}/graphql`, LINE_URL: `${system.subgraphs.line.url}/graphql`, MEMBERS_URL: `${proxy.url}/graphql` };
  await Promise.all([
    startProcess('points', 'subgraphs/points/src/index.ts', 'subgraph listening', { ...others, OTEL_SERVICE_NAME: 'omo-points', POINTS_PORT: String(pointsPort) }),
    startProcess('gateway', 'gateway/src/index.ts', 'gateway listening', { ...others, OTEL_SERVICE_NAME: 'omo-gateway', POINTS_URL: pointsUrl, GATEWAY_PORT: String(gatewayPort) }),
  ]);
  gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))),
  );
  await proxy?.close();
  await receiver?.close();
  await system?.close();
});

/** A MongoDB command's span, under the current semantic conventions' name for the database system or the older one. */
const isMongoSpan = (span: ExportedSpan) => span.attributes['db.system.name'] === 'mongodb' || span.attributes['db.system'] === 'mongodb';

/** Resolves once the spans exported so far satisfy `found`, checking again as each batch arrives (bounded). */
function spansUntil(found: (all: ExportedSpan[]) => boolean): Promise<ExportedSpan[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`spans not exported: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId]))}`)), 20_000);
    const check = () => {
      if (!found(spans)) return void onBatch.push(check);
      clearTimeout(timer);
      resolve(spans);
    };
    check();
  });
}

describe('a trace across the gateway, the subgraphs and MongoDB', () => {
  it("carries the client's trace id into every service the request reaches", async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    // a credential in the query string, as the LINE link page's linkToken is, must not reach a span
    const linkToken = randomBytes(12).toString('hex');
    const response = await fetch(`${gatewayUrl}?linkToken=${linkToken}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${clientSpanId}-01`,
        // the client's baggage is the client's: it is not passed on to our services (nor to third parties)
        baggage: 'user.secret=from-the-client',
        ...system.customerHeaders(memberId),
      },
      body: JSON.stringify({ query: '{ me { id points { balance } } }' }),
    });
    const body = (await response.json()) as { data?: { me: { id: string; points: { balance: number } } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.me.id).toBe(memberId);

    // the gateway's fetch to members (node-fetch) and points' call to members' internal API (internalClient, undici's
    // own request rather than fetch) both carried the trace on
    const traced = proxied.filter((request) => request.traceparent?.split('-')[1] === traceId);
    expect(traced.some((request) => request.path === '/graphql')).toBe(true);
    expect(traced.some((request) => request.path.startsWith('/internal/'))).toBe(true);
    expect(traced.map((request) => request.baggage)).toEqual(traced.map(() => undefined));

    // each service exports in its own batches: wait for every span the checks below read (points' server span ends
    // after its MongoDB spans and may come in a later batch than they do)
    const pointsUnderGateway = (all: ExportedSpan[]) => {
      const gatewayIds = new Set(all.filter((s) => s.service === 'omo-gateway' && s.traceId === traceId).map((s) => s.spanId));
      return all.some((s) => s.service === 'omo-points' && s.traceId === traceId && s.parentSpanId !== undefined && gatewayIds.has(s.parentSpanId));
    };
    const exported = await spansUntil(
      (all) =>
        all.some((s) => s.service === 'omo-gateway' && s.traceId === traceId && s.parentSpanId === clientSpanId) &&
        all.some((s) => s.service === 'omo-points' && s.traceId === traceId && isMongoSpan(s)) &&
        pointsUnderGateway(all),
    );
    const inTrace = exported.filter((s) => s.traceId === traceId);
    const gatewayServer = inTrace.find((s) => s.service === 'omo-gateway' && s.parentSpanId === clientSpanId);
    expect(gatewayServer?.attributes['url.query']).toBe('linkToken=REDACTED');
    expect(JSON.stringify(exported)).not.toContain(linkToken);
    // points' server span is a child of one of the gateway's spans (its fetch to points)
    const gatewaySpanIds = new Set(inTrace.filter((s) => s.service === 'omo-gateway').map((s) => s.spanId));
    expect(inTrace.some((s) => s.service === 'omo-points' && s.parentSpanId !== undefined && gatewaySpanIds.has(s.parentSpanId))).toBe(true);
  });
});
