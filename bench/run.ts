import { parseArgs } from 'node:util';
import { connectDatabase } from '@omo/lib/core/db';
import { benchDatabaseIsIndexed, startBenchDatabase, type BenchDatabase } from './lib/database';
import { PeakMemory } from './lib/meter';
import { machine, RESULTS_DIR } from './lib/report';
import { useBuiltServices, type ServiceProcess } from './lib/services';
import { benchSettings, startHiveGateway, startMonolithProcess, startSystem, type BenchSystem } from './lib/system';
import { startApolloRouter } from './router/apollo-router';
import { DEFAULT_SIZE, FULL_SIZE, INDEXED_SIZE } from './seed/generate';
import { totalMembers, totalPurchases } from './seed/dataset';
import { writeDataset } from './seed/seed-writer';
import type { BenchOptions, BenchRun } from './scenarios/bench-run';
import { DATALOADER_PROBES, dataloaderScenario } from './scenarios/dataloader';
import { gatewayOverhead } from './scenarios/gateway-overhead';
import { memoryScenario } from './scenarios/memory';
import { posWriteScenario } from './scenarios/pos-write';
import { scaleScenario, seedScaleDataset } from './scenarios/scale';

const USAGE = `usage: npm run bench -- [options]
  --only 1,2,3,4,5     run some scenarios (default: all; 2 and 4 share the scale data set, 5 reports what ran)
  --duration S         seconds of each measured read run (default 10)
  --write-duration S   seconds of each measured POS run (default 30)
  --warmup S           seconds of the unmeasured run before each (default 2)
  --connections N      concurrent connections of the read scenarios (default 10)
  --registers N        concurrent registers of the POS scenario (default 10)
  --members N          ordinary members of the scale data set (default ${INDEXED_SIZE.members.toLocaleString('en')}; ${DEFAULT_SIZE.members} on FerretDB/SQLite)
  --purchases N        their purchases (default ${INDEXED_SIZE.purchases.toLocaleString('en')}; ${DEFAULT_SIZE.purchases} on FerretDB/SQLite)
  --full               ${FULL_SIZE.members.toLocaleString('en')} members / ${FULL_SIZE.purchases.toLocaleString('en')} purchases (longer than 10 minutes: see bench/README.md)
  --seed N             data set seed (default 42)
  --built              run our gateway and subgraphs from npm run build's dist/ with plain node instead of tsx
  --router             scenarios 1 and 2 through Apollo Router too (built with cargo on first use: see bench/README.md)`;

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number\n${USAGE}`);
  return n;
}

function parseOptions(): { options: BenchOptions; scenarios: Set<number>; built: boolean; router: boolean } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string' },
      'write-duration': { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      registers: { type: 'string' },
      members: { type: 'string' },
      purchases: { type: 'string' },
      full: { type: 'boolean', default: false },
      seed: { type: 'string' },
      built: { type: 'boolean', default: false },
      router: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const size = values.full ? FULL_SIZE : benchDatabaseIsIndexed() ? INDEXED_SIZE : DEFAULT_SIZE;
  const now = new Date();
  const anchor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const seed = positive(values.seed, 42, 'seed');
  const scenarios = new Set((values.only ?? '1,2,3,4,5').split(',').map((s) => Number(s.trim())));
  if ([...scenarios].some((s) => !Number.isInteger(s) || s < 1 || s > 5)) throw new Error(`--only takes scenario numbers 1-5\n${USAGE}`);
  return {
    scenarios,
    built: values.built,
    router: values.router,
    options: {
      durationSeconds: positive(values.duration, 10, 'duration'),
      writeDurationSeconds: positive(values['write-duration'], 30, 'write-duration'),
      warmupSeconds: positive(values.warmup, 2, 'warmup'),
      connections: Math.max(1, positive(values.connections, 10, 'connections')),
      registers: Math.max(1, positive(values.registers, 10, 'registers')),
      replayShare: 0.2,
      scale: {
        seed,
        members: positive(values.members, size.members, 'members'),
        purchases: positive(values.purchases, size.purchases, 'purchases'),
        stores: 20,
        anchor,
        probes: [],
      },
      reads: { seed, members: 0, purchases: 0, stores: 20, anchor, probes: ['fanout20'] },
    },
  };
}

/** The bench's own databases; on an external server they are dropped at the end. */
const READS_DB = 'omo_bench_reads';
const SCALE_DB = 'omo_bench_scale';

async function dropDatabases(database: BenchDatabase, names: string[]): Promise<void> {
  for (const name of names) {
    const connection = await connectDatabase(database.uri, name);
    await connection.dropDatabase();
    await connection.close();
  }
}

/** Scenarios 1 and 3: the probe members only, our system, the monolith and Hive Gateway. */
async function readScenarios(run: BenchRun, scenarios: Set<number>, withRouter: boolean): Promise<void> {
  await dropDatabases(run.database, [READS_DB]);
  const connection = await connectDatabase(run.database.uri, READS_DB);
  await writeDataset(connection, run.options.reads);
  await connection.close();
  run.log('starting the gateway and the four subgraphs');
  const system = await startSystem(run.settings, READS_DB);
  let monolith: ServiceProcess | undefined;
  let hive: ServiceProcess | undefined;
  let router: ServiceProcess | undefined;
  try {
    await run.database.prepareIndexes();
    if (scenarios.has(1)) {
      run.log(`starting the monolith and Hive Gateway${withRouter ? ' and Apollo Router' : ''}`);
      [monolith, hive, router] = await Promise.all([
        startMonolithProcess(run.settings, READS_DB).catch((error: unknown) => void run.log(`monolith: ${String(error)}`)),
        startHiveGateway(run.settings, system).catch((error: unknown) => void run.log(`Hive Gateway: ${String(error)}`)),
        withRouter ? startRouter(run, system) : undefined,
      ]);
      await gatewayOverhead(run, { system, monolith, hive, router, routerWanted: withRouter });
    }
    if (scenarios.has(3)) {
      // added only now: FerretDB reads a whole collection per query, and the 100-purchase member's ledger is large
      const connection = await connectDatabase(run.database.uri, READS_DB);
      await writeDataset(connection, { ...run.options.reads, probes: DATALOADER_PROBES }, { withStores: false });
      await connection.close();
      await run.database.prepareIndexes();
      await dataloaderScenario(run, system);
    }
  } finally {
    observeSystem(run, system);
    await Promise.all([monolith?.stop(), hive?.stop(), router?.stop(), system.stop()]);
  }
}

/** Scenarios 2 and 4: the scale data set, seeded by the generator, then written to through the gateway. */
async function scaleScenarios(run: BenchRun, scenarios: Set<number>, withRouter: boolean): Promise<void> {
  const seeded = await seedScaleDataset(run, SCALE_DB);
  run.log('starting the gateway and the four subgraphs on the scale data set');
  const system = await startSystem(run.settings, SCALE_DB);
  let router: ServiceProcess | undefined;
  try {
    await run.database.prepareIndexes();
    if (scenarios.has(2)) {
      router = withRouter ? await startRouter(run, system) : undefined;
      await posWriteScenario(run, system, SCALE_DB, router);
    }
    if (scenarios.has(4)) await scaleScenario(run, system, SCALE_DB, seeded);
  } finally {
    observeSystem(run, system);
    await Promise.all([router?.stop(), system.stop()]);
  }
}

/** Apollo Router over the system's subgraphs; a failure to build or start it is reported, and the run goes on without it. */
function startRouter(run: BenchRun, system: BenchSystem): Promise<ServiceProcess | undefined> {
  return startApolloRouter(run.settings, system, (line) => run.log(line)).catch((error: unknown) => void run.log(`Apollo Router: ${error instanceof Error ? error.message : String(error)}`));
}

function observeSystem(run: BenchRun, system: BenchSystem): void {
  run.memory.observe([system.gateway, ...Object.values(system.subgraphs)]);
}

async function main(): Promise<void> {
  const { options, scenarios, built, router } = parseOptions();
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  if (built) {
    await useBuiltServices();
    log('our services run from dist/ (npm run build) with plain node');
  }
  const info = { startedAt: new Date(), machine: machine(), database: '' };
  const database = await startBenchDatabase(log);
  info.database = database.kind;
  log(`database: ${database.kind}${database.pid ? ` (pid ${database.pid})` : ''}; ${info.machine.cpus} CPUs, load average ${info.machine.loadAverage}`);
  log(`scale data set: ${totalMembers(options.scale).toLocaleString('en')} members, ${totalPurchases(options.scale).toLocaleString('en')} purchases`);
  const run: BenchRun = { options, info, settings: await benchSettings(database.uri), database, memory: new PeakMemory(), log };
  try {
    if (scenarios.has(1) || scenarios.has(3)) await readScenarios(run, scenarios, router);
    if (scenarios.has(2) || scenarios.has(4)) await scaleScenarios(run, scenarios, router);
    if (scenarios.has(5)) memoryScenario(run, run.memory);
    if (database.kind === 'external') await dropDatabases(database, [READS_DB, SCALE_DB]);
  } finally {
    await run.settings.issuer.close();
    await database.stop();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${RESULTS_DIR}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
