import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@omo/lib/core/config';

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** The 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

export function machine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: Number((os.loadavg()[0] ?? 0).toFixed(2)),
  };
}

export type Cell = string | number | null | undefined;

/** Prints a table with aligned columns (numbers to the right), preceded by its title. */
export function printTable(title: string, header: string[], rows: Cell[][]): void {
  const text = (cell: Cell) => (cell === null || cell === undefined ? '-' : typeof cell === 'number' ? cell.toLocaleString('en', { maximumFractionDigits: 2 }) : cell);
  const cells = [header, ...rows.map((row) => row.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[], numeric: boolean[]) => row.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  const numeric = header.map((_, i) => rows.some((row) => typeof row[i] === 'number'));
  const out = [`\n${title}`, line(header, numeric), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => line(row.map(text), numeric))];
  process.stdout.write(`${out.join('\n')}\n`);
}

export interface ScenarioReport {
  scenario: string;
  title: string;
  /** What was measured and on what, in the words of bench/README.md. */
  parameters: Record<string, unknown>;
  results: unknown;
  /** Anything that makes the figures less than they look (errors, a missing comparison). */
  notes: string[];
}

export interface RunInfo {
  startedAt: Date;
  /** Which server answered (bench/lib/database.ts): external, mongodb-memory-server, ferretdb-postgresql or ferretdb-sqlite. */
  database: string;
  machine: Machine;
}

/** Writes bench/results/<scenario>.json with the date, the machine and the database, and prints the notes. */
export function writeReport(report: ScenarioReport, run: RunInfo): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${report.scenario}.json`);
  const body = { ...report, date: run.startedAt.toISOString(), database: run.database, machine: run.machine };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  for (const note of report.notes) process.stdout.write(`  note: ${note}\n`);
  return file;
}
