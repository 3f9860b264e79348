import { isDeepStrictEqual } from 'node:util';
import { memberIdOf, probeIndex } from '../seed/dataset';
import { runLoad, type LoadStats } from '../lib/load';
import { measure, type Metered, type ProcessCost } from '../lib/meter';
import { printTable, writeReport } from '../lib/report';
import type { ServiceProcess } from '../lib/services';
import { staffToken, type BenchSystem } from '../lib/system';
import { databaseProcess, type BenchRun } from './bench-run';
import { FANOUT, LOOKUP, POINTS_HOP } from './queries';

type Target = 'ours' | 'monolith' | 'hive' | 'router';

export interface OverheadRow extends LoadStats {
  query: string;
  target: Target;
  perProcess: Record<string, ProcessCost>;
  dbOpsPerRequest: number;
}

export interface OverheadRatios {
  query: string;
  throughputOursToMonolith: number | null;
  p95OursToMonolith: number | null;
  throughputOursToHive: number | null;
  p95OursToHive: number | null;
  /** With --router: Apollo Router's req/s and p95 over ours (above 1: the router serves more, or is slower). */
  throughputRouterToOurs: number | null;
  p95RouterToOurs: number | null;
}

/** The process that is the gateway of each target (the monolith is its own). */
const GATEWAY_PROCESS: Record<Target, string> = { ours: 'gateway', monolith: 'monolith', hive: 'hive-gateway', router: 'apollo-router' };

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? Number((a / b).toFixed(2)) : null);

/**
 * Scenario 1: the same read queries through our gateway over the four subgraph processes, against the monolith,
 * and through Hive Gateway (and, with --router, Apollo Router) over the same subgraph processes; side by side, one
 * query at a time.
 */
export async function gatewayOverhead(
  run: BenchRun,
  targets: { system: BenchSystem; monolith?: ServiceProcess; hive?: ServiceProcess; router?: ServiceProcess; routerWanted?: boolean },
): Promise<{ rows: OverheadRow[]; ratios: OverheadRatios[] }> {
  const { options } = run;
  const memberId = memberIdOf(run.options.reads, probeIndex('fanout20')).toHexString();
  const queries = [
    { name: 'lookup (members)', query: LOOKUP, variables: { id: memberId } },
    { name: 'points hop (members -> points)', query: POINTS_HOP, variables: { id: memberId } },
    { name: 'fan-out 20 purchases (3 subgraphs)', query: FANOUT, variables: { id: memberId, first: 20 } },
  ];
  const { system } = targets;
  const subgraphs = Object.values(system.subgraphs);
  const endpoints: { target: Target; service: ServiceProcess; processes: Metered[] }[] = [
    { target: 'ours', service: system.gateway, processes: [system.gateway, ...subgraphs, ...databaseProcess(run)] },
  ];
  if (targets.monolith) endpoints.push({ target: 'monolith', service: targets.monolith, processes: [targets.monolith, ...databaseProcess(run)] });
  if (targets.hive) endpoints.push({ target: 'hive', service: targets.hive, processes: [targets.hive, ...subgraphs, ...databaseProcess(run)] });
  if (targets.router) endpoints.push({ target: 'router', service: targets.router, processes: [targets.router, ...subgraphs, ...databaseProcess(run)] });

  const headers = { authorization: `Bearer ${staffToken(run.settings)}` };
  const notes: string[] = [];
  if (!targets.monolith) notes.push('the monolith did not start: no ours/monolith ratios');
  if (!targets.hive) notes.push('Hive Gateway did not start: no ours/Hive ratios');
  if (targets.routerWanted && !targets.router) notes.push('Apollo Router did not start: no router/ours ratios');
  const rows: OverheadRow[] = [];
  for (const q of queries) {
    const body = JSON.stringify({ query: q.query, variables: q.variables });
    const answers = await Promise.all(endpoints.map((e) => postJson(`${e.service.baseUrl}/graphql`, body, headers)));
    const reference = answers[0];
    answers.forEach((answer, i) => {
      if (!isDeepStrictEqual(answer, reference)) notes.push(`${q.name}: ${endpoints[i]?.target} answers differently from ours: ${JSON.stringify(answer).slice(0, 300)}`);
    });
    const loadOf = (endpoint: (typeof endpoints)[number]) => ({ url: `${endpoint.service.baseUrl}/graphql`, connections: options.connections, headers, body: () => body });
    // every target warmed before any is measured, and each query measured from another target first: the first
    // target measured after start-up used to run on subgraphs still cold (its JIT, its connections), the others on warm ones
    for (const endpoint of endpoints) await runLoad({ ...loadOf(endpoint), durationSeconds: options.warmupSeconds });
    const turn = queries.indexOf(q) % endpoints.length;
    for (const endpoint of [...endpoints.slice(turn), ...endpoints.slice(0, turn)]) {
      run.log(`scenario 1: ${q.name} via ${endpoint.target}`);
      const load = loadOf(endpoint);
      const measured = await measure(endpoint.processes, (r: LoadStats) => r.sent, () => runLoad({ ...load, durationSeconds: options.durationSeconds }));
      if (measured.result.errors) notes.push(`${q.name} via ${endpoint.target}: ${measured.result.errors} errors, e.g. ${measured.result.firstError}`);
      rows.push({ query: q.name, target: endpoint.target, ...measured.result, perProcess: measured.perProcess, dbOpsPerRequest: measured.dbOpsPerRequest });
    }
    run.memory.observe(endpoints.map((e) => e.service));
  }

  const order = (r: OverheadRow) => queries.findIndex((q) => q.name === r.query) * endpoints.length + endpoints.findIndex((e) => e.target === r.target);
  rows.sort((a, b) => order(a) - order(b));
  const find = (query: string, target: Target) => rows.find((r) => r.query === query && r.target === target);
  const ratios = queries.map(({ name }) => {
    const ours = find(name, 'ours');
    const monolith = find(name, 'monolith');
    const hive = find(name, 'hive');
    const router = find(name, 'router');
    return {
      query: name,
      throughputOursToMonolith: ratio(ours?.requestsPerSecond, monolith?.requestsPerSecond),
      p95OursToMonolith: ratio(ours?.p95Ms, monolith?.p95Ms),
      throughputOursToHive: ratio(ours?.requestsPerSecond, hive?.requestsPerSecond),
      p95OursToHive: ratio(ours?.p95Ms, hive?.p95Ms),
      throughputRouterToOurs: ratio(router?.requestsPerSecond, ours?.requestsPerSecond),
      p95RouterToOurs: ratio(router?.p95Ms, ours?.p95Ms),
    };
  });

  const cpu = (row: OverheadRow, names: string[]) => Number(names.reduce((sum, n) => sum + (row.perProcess[n]?.cpuMs ?? 0), 0).toFixed(2));
  const subgraphNames = subgraphs.map((s) => s.name);
  printTable(
    `Scenario 1: gateway overhead (${options.connections} connections, ${options.durationSeconds} s each)`,
    ['query', 'target', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms/req: gateway', 'subgraphs', 'database', 'DB ops/req', 'errors'],
    rows.map((r) => [
      r.query,
      r.target,
      r.requestsPerSecond,
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      cpu(r, [GATEWAY_PROCESS[r.target]]),
      r.target === 'monolith' ? null : cpu(r, subgraphNames),
      cpu(r, ['database', 'postgres']),
      r.dbOpsPerRequest,
      r.errors,
    ]),
  );
  printTable(
    'Scenario 1: ratios (throughput: above 1 means ours serves more; p95: above 1 means ours is slower)',
    ['query', 'req/s ours/monolith', 'p95 ours/monolith', 'req/s ours/Hive', 'p95 ours/Hive', ...(targets.router ? ['req/s router/ours', 'p95 router/ours'] : [])],
    ratios.map((r) => [r.query, r.throughputOursToMonolith, r.p95OursToMonolith, r.throughputOursToHive, r.p95OursToHive, ...(targets.router ? [r.throughputRouterToOurs, r.p95RouterToOurs] : [])]),
  );
  writeReport(
    {
      scenario: 'gateway-overhead',
      title: `Gateway overhead: our gateway vs a monolith vs Hive Gateway${targets.router ? ' vs Apollo Router' : ''}`,
      parameters: { connections: options.connections, durationSeconds: options.durationSeconds, warmupSeconds: options.warmupSeconds, memberPurchases: 20 },
      results: { rows, ratios },
      notes,
    },
    run.info,
  );
  return { rows, ratios };
}

async function postJson(url: string, body: string, headers: Record<string, string>): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return response.json();
}
