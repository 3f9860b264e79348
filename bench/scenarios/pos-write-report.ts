import { printTable, writeReport } from '../lib/report';
import { totalMembers } from '../seed/dataset';
import type { BareRow } from './bare-writes';
import type { BenchRun } from './bench-run';
import type { LoadStats } from '../lib/load';
import type { ProcessCost } from '../lib/meter';

export interface PosRow extends LoadStats {
  run: string;
  /** Through our gateway, or through Apollo Router (--router). */
  target: 'ours' | 'router';
  replayShare: number;
  /** New purchases acknowledged per second (replays excluded). */
  purchasesPerSecond: number;
  perProcess: Record<string, ProcessCost>;
  dbOpsPerRequest: number;
  /** New purchases answered without error. */
  acknowledged: number;
  /** Of those, answered PENDING_POINTS: points did not settle within the internal call's timeout. */
  answeredPending: number;
  /** Acknowledged purchases still not COMPLETED once the purchases outbox has settled what was pending. */
  notCompleted: number;
  /** Replayed requests answered (each must name the purchase its key first recorded). */
  replays: number;
  replaysAnsweredWithAnotherPurchase: number;
}

const ratio = (a: number | undefined, b: number | undefined, digits = 2) => (a !== undefined && b ? Number((a / b).toFixed(digits)) : null);

/** Scenario 2's tables (ours, the router's when it ran, the bare writes against ours) and bench/results/pos-write.json. */
export function reportPosWrite(run: BenchRun, subgraphNames: string[], rows: PosRow[], bare: BareRow, notes: string[]): void {
  const { options } = run;
  const dataset = options.scale;
  if (bare.errors) notes.push(`bare writes: ${bare.errors} errors, e.g. ${bare.firstError}`);
  if (bare.completedWithEntry !== bare.acknowledged) notes.push(`bare writes: only ${bare.completedWithEntry} of ${bare.acknowledged} purchases are COMPLETED with their EARN entry`);
  const find = (target: PosRow['target'], phase: string) => rows.find((r) => r.target === target && r.run === phase);
  const ours = rows.find((r) => r.target === 'ours');
  const oursToBare = {
    purchasesPerSecond: ratio(ours?.purchasesPerSecond, bare.purchasesPerSecond, 3),
    dbOpsPerPurchase: { ours: ours?.dbOpsPerRequest ?? null, bare: bare.dbOpsPerRequest },
  };
  const routerToOurs = rows
    .filter((r) => r.target === 'router')
    .map((r) => ({ run: r.run, purchasesPerSecond: ratio(r.purchasesPerSecond, find('ours', r.run)?.purchasesPerSecond), p95: ratio(r.p95Ms, find('ours', r.run)?.p95Ms) }));

  const cpu = (row: { perProcess: PosRow['perProcess'] }, names: string[]) => Number(names.reduce((sum, n) => sum + (row.perProcess[n]?.cpuMs ?? 0), 0).toFixed(2));
  const gatewayOf = (row: PosRow) => (row.target === 'router' ? 'apollo-router' : 'gateway');
  printTable(
    `Scenario 2: POS write path (${options.registers} registers, ${totalMembers(dataset).toLocaleString('en')} members with history, ${options.writeDurationSeconds} s each)`,
    ['run', 'via', 'req/s', 'new purchases/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms/req: gateway', 'subgraphs', 'database', 'DB ops/req', 'new purchases', 'replays', 'PENDING_POINTS', 'not COMPLETED', 'errors'],
    rows.map((r) => [
      r.run,
      r.target,
      r.requestsPerSecond,
      r.purchasesPerSecond,
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      cpu(r, [gatewayOf(r)]),
      cpu(r, subgraphNames),
      cpu(r, ['database', 'postgres']),
      r.dbOpsPerRequest,
      r.acknowledged,
      r.replays,
      r.answeredPending,
      r.notCompleted,
      r.errors,
    ]),
  );
  printTable(
    'Scenario 2: database commands per request, by subgraph',
    ['run', 'via', ...subgraphNames],
    rows.map((r) => [r.run, r.target, ...subgraphNames.map((n) => r.perProcess[n]?.dbOps)]),
  );
  if (routerToOurs.length) {
    printTable(
      'Scenario 2: Apollo Router against ours (above 1: the router records more purchases/s, or is slower at p95)',
      ['run', 'purchases/s router/ours', 'p95 router/ours'],
      routerToOurs.map((r) => [r.run, r.purchasesPerSecond, r.p95]),
    );
  }
  printTable(
    `Scenario 2: bare writes (the same kind of purchase's essential writes with the driver alone, ${options.registers} concurrent loops) against ours`,
    ['run', 'new purchases/s', 'p50 ms', 'p95 ms', 'CPU ms/purchase: ours or the writer', 'database', 'DB ops/purchase', 'new purchases', 'errors'],
    [
      ...(ours ? [[`ours: ${ours.run}`, ours.purchasesPerSecond, ours.p50Ms, ours.p95Ms, cpu(ours, ['gateway', ...subgraphNames]), cpu(ours, ['database', 'postgres']), ours.dbOpsPerRequest, ours.acknowledged, ours.errors]] : []),
      [bare.run, bare.purchasesPerSecond, bare.p50Ms, bare.p95Ms, cpu(bare, ['bare-writer']), cpu(bare, ['database', 'postgres']), bare.dbOpsPerRequest, bare.acknowledged, bare.errors],
    ],
  );
  process.stdout.write(`purchases/s ours / bare: ${oursToBare.purchasesPerSecond ?? '-'} (the issue's figure; aim: 1/3 or more)\n`);
  writeReport(
    {
      scenario: 'pos-write',
      title: `POS write path: recordPurchase through the gateway with a POS key${routerToOurs.length ? ', and through Apollo Router' : ''}, against bare writes`,
      parameters: { registers: options.registers, durationSeconds: options.writeDurationSeconds, members: totalMembers(dataset), seededPurchases: dataset.purchases, replayShare: options.replayShare },
      results: { rows, bare, oursToBare, routerToOurs },
      notes,
    },
    run.info,
  );
}
