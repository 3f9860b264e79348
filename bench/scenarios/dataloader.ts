import { memberIdOf, probeIndex, type ProbeName } from '../seed/dataset';
import { measure } from '../lib/meter';
import { printTable, writeReport } from '../lib/report';
import { graphqlUrl, staffToken, type BenchSystem } from '../lib/system';
import type { BenchRun } from './bench-run';
import { FANOUT } from './queries';

export interface DataloaderRow {
  purchases: number;
  dbOpsPerRequest: number;
  perSubgraph: Record<string, number | null>;
}

const SIZES: { probe: ProbeName; purchases: number }[] = [
  { probe: 'fanout1', purchases: 1 },
  { probe: 'fanout10', purchases: 10 },
  { probe: 'fanout100', purchases: 100 },
];
/** The members this scenario queries, to be seeded into the read data set before it runs. */
export const DATALOADER_PROBES = SIZES.map((s) => s.probe);
const REQUESTS = 5;

/**
 * Scenario 3: database commands of the fan-out query (purchases with their store and points) for members with
 * 1, 10 and 100 purchases, through our gateway. DataLoaders batch every entity lookup, so the count must not grow.
 */
export async function dataloaderScenario(run: BenchRun, system: BenchSystem): Promise<{ rows: DataloaderRow[]; constant: boolean }> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${staffToken(run.settings)}` };
  const rows: DataloaderRow[] = [];
  const notes: string[] = [];
  for (const { probe, purchases } of SIZES) {
    const body = JSON.stringify({ query: FANOUT, variables: { id: memberIdOf(run.options.reads, probeIndex(probe)).toHexString(), first: 100 } });
    const send = async () => {
      let ok = 0;
      for (let i = 0; i < REQUESTS; i += 1) {
        const answer = (await (await fetch(graphqlUrl(system.gateway), { method: 'POST', headers, body })).json()) as {
          data?: { member?: { purchases?: { nodes?: unknown[] } } };
          errors?: unknown[];
        };
        const returned = answer.data?.member?.purchases?.nodes?.length;
        if (answer.errors || returned !== purchases) notes.push(`${purchases} purchases: answer had ${returned ?? 'no'} purchases ${JSON.stringify(answer.errors ?? '')}`);
        else ok += 1;
      }
      return ok;
    };
    await send();
    const measured = await measure(Object.values(system.subgraphs), () => REQUESTS, send);
    rows.push({
      purchases,
      dbOpsPerRequest: measured.dbOpsPerRequest,
      perSubgraph: Object.fromEntries(Object.entries(measured.perProcess).map(([name, cost]) => [name, cost.dbOps])),
    });
  }
  const constant = rows.every((r) => r.dbOpsPerRequest === rows[0]?.dbOpsPerRequest);
  if (!constant) notes.push('the number of database commands grows with the number of purchases: a lookup is not batched');
  const subgraphNames = Object.keys(system.subgraphs);
  printTable(
    `Scenario 3: DataLoader — database commands per fan-out query (${constant ? 'constant' : 'NOT constant'})`,
    ['purchases', 'DB ops/query', ...subgraphNames],
    rows.map((r) => [r.purchases, r.dbOpsPerRequest, ...subgraphNames.map((n) => r.perSubgraph[n])]),
  );
  writeReport(
    {
      scenario: 'dataloader',
      title: 'DataLoader: database commands of the fan-out query for 1, 10 and 100 purchases',
      parameters: { requestsPerSize: REQUESTS, query: 'member -> purchases(first: 100) { store pointsEarned }' },
      results: { rows, constant },
      notes,
    },
    run.info,
  );
  return { rows, constant };
}
