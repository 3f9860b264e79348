import type { DatasetOptions } from '../seed/dataset';
import type { BenchDatabase } from '../lib/database';
import type { Metered, PeakMemory } from '../lib/meter';
import type { RunInfo } from '../lib/report';
import type { BenchSettings } from '../lib/system';

export interface BenchOptions {
  /** Each measured load run of the read scenario, seconds. */
  durationSeconds: number;
  /**
   * Each measured run of the POS scenario, seconds: longer, because on FerretDB one purchase takes seconds (every
   * ledger read is a scan) and a run must see many of them completed.
   */
  writeDurationSeconds: number;
  /** An unmeasured run before each measured one (JIT, connection pools, query-plan caches). */
  warmupSeconds: number;
  /** Concurrent connections of the read scenarios. */
  connections: number;
  /** Concurrent registers of the POS scenario. */
  registers: number;
  /** Share of the POS requests that replay an earlier request, in the second POS run. */
  replayShare: number;
  /** The data set of scenarios 2 and 4. */
  scale: DatasetOptions;
  /** The data set of scenarios 1 and 3: probe members only, so the database does as little as possible. */
  reads: DatasetOptions;
}

/** What every scenario gets from the driver (bench/run.ts). */
export interface BenchRun {
  options: BenchOptions;
  info: RunInfo;
  settings: BenchSettings;
  database: BenchDatabase;
  memory: PeakMemory;
  log(line: string): void;
}

/** The database server (and PostgreSQL under FerretDB's PostgreSQL backend) as metered processes, when local. */
export function databaseProcess(run: BenchRun): Metered[] {
  const { pid, postgresPid } = run.database;
  return [
    ...(pid === undefined ? [] : [{ name: 'database', pid }]),
    ...(postgresPid === undefined ? [] : [{ name: 'postgres', pid: postgresPid }]),
  ];
}
