import { SUBGRAPH_NAMES } from '@omo/lib/core/config';
import type { PeakMemory } from '../lib/meter';
import { printTable, writeReport } from '../lib/report';
import type { BenchRun } from './bench-run';

export interface MemoryRow {
  process: string;
  peakMb: number | null;
  targetMb: number | null;
  withinTarget: boolean | null;
}

/** The targets; the monolith and Hive Gateway are shown for comparison only. */
const TARGETS: [string, number | null][] = [
  ['gateway', 300],
  ...SUBGRAPH_NAMES.map((name): [string, number] => [name, 250]),
  ['seed generator', 500],
  ['monolith', null],
  ['hive-gateway', null],
];

/** Scenario 5: peak RSS (VmHWM, or getrusage for the generator) of each process over scenarios 1, 2 and 4. */
export function memoryScenario(run: BenchRun, memory: PeakMemory): MemoryRow[] {
  const rows = TARGETS.map(([name, target]) => {
    const peak = memory.get(name) ?? null;
    return { process: name, peakMb: peak, targetMb: target, withinTarget: peak === null || target === null ? null : peak < target };
  });
  const verdict = (row: MemoryRow) => (row.withinTarget === null ? (row.peakMb === null ? 'not run' : '') : row.withinTarget ? 'OK' : 'OVER');
  printTable(
    'Scenario 5: peak resident memory (MB) during scenarios 1-2 (services) and seeding (generator)',
    ['process', 'peak MB', 'target MB', 'verdict'],
    rows.map((r) => [r.process, r.peakMb, r.targetMb ?? null, verdict(r)]),
  );
  writeReport(
    {
      scenario: 'memory',
      title: 'Memory: peak RSS of each process',
      parameters: { source: 'VmHWM from /proc/<pid>/status, read after each load run; the generator reports getrusage maxRSS' },
      results: { rows },
      notes: rows.filter((r) => r.withinTarget === false).map((r) => `${r.process} peaked at ${r.peakMb} MB, above its ${r.targetMb} MB target`),
    },
    run.info,
  );
  return rows;
}
