import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@omo/lib/core/config';
import { memberIdOf, ordinaryMemberIndex, prng, totalMembers, totalPurchases, type DatasetOptions } from '../seed/dataset';
import { printTable, writeReport } from '../lib/report';
import { graphqlUrl, serviceEnv, staffToken, type BenchSystem } from '../lib/system';
import type { BenchRun } from './bench-run';
import { HISTORY_PAGE } from './queries';

export interface SeedRun {
  members: number;
  purchases: number;
  ledgerEntries: number;
  seconds: number;
  /** The generator's own peak RSS (getrusage), MB. */
  peakRssMb: number;
}

export interface TimedRun {
  requests: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export interface VerifyRun {
  /** Wall time of `npm run points:verify`, start-up included. */
  seconds: number;
  /** The time the script reports for the check itself. */
  checkSeconds: number | null;
  entries: number | null;
  ok: boolean;
}

const HISTORY_REQUESTS = 20;

function datasetArgs(options: DatasetOptions): string[] {
  return ['--members', String(options.members), '--purchases', String(options.purchases), '--stores', String(options.stores), '--seed', String(options.seed), '--anchor', options.anchor.toISOString()];
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    // stderr stays the terminal's: the generator's progress bar shows there
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

/** Scenario 4, first half: the seed generator as its own process, into a fresh database. */
export async function seedScaleDataset(run: BenchRun, dbName: string): Promise<SeedRun> {
  const { scale } = run.options;
  run.log(`scenario 4: seeding ${totalMembers(scale).toLocaleString('en')} members / ${totalPurchases(scale).toLocaleString('en')} purchases into ${dbName}`);
  const result = await runProcess(process.execPath, ['--import', 'tsx', 'bench/seed/generate.ts', ...datasetArgs(scale), '--drop'], serviceEnv(run.settings, dbName));
  const summary = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0) throw new Error(`the seed generator failed (${result.code}): ${summary}`);
  const seeded = JSON.parse(summary) as SeedRun;
  run.memory.record('seed generator', seeded.peakRssMb);
  return { members: seeded.members, purchases: seeded.purchases, ledgerEntries: seeded.ledgerEntries, seconds: seeded.seconds, peakRssMb: Number(seeded.peakRssMb.toFixed(1)) };
}

/** The first page of the history of ordinary members picked at random, one request at a time. */
async function historyPages(run: BenchRun, system: BenchSystem): Promise<TimedRun> {
  const { scale } = run.options;
  const random = prng(scale.seed + 1);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${staffToken(run.settings)}` };
  const times: number[] = [];
  for (let i = 0; i < HISTORY_REQUESTS; i += 1) {
    const id = memberIdOf(scale, ordinaryMemberIndex(Math.floor(random() * scale.members))).toHexString();
    const started = process.hrtime.bigint();
    const response = await fetch(graphqlUrl(system.gateway), { method: 'POST', headers, body: JSON.stringify({ query: HISTORY_PAGE, variables: { id } }) });
    const answer = (await response.json()) as { errors?: unknown[] };
    if (answer.errors) throw new Error(`history query failed: ${JSON.stringify(answer.errors)}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => Number((times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? 0).toFixed(1));
  return { requests: times.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: at(1) };
}

export interface LiabilityRun {
  /** Wall time of one `pointsLiability` through the gateway, now and as of 30 days before. */
  nowSeconds: number;
  pastSeconds: number;
  accounts: number;
  outstandingPoints: number;
}

const LIABILITY = 'query($asOf: DateTime) { pointsLiability(asOf: $asOf) { accounts outstandingPoints byExpiryMonth { month points } } }';

/** The points liability report over the whole data set, once now (snapshots) and once in the past (the ledger). */
async function liabilityReport(run: BenchRun, system: BenchSystem): Promise<LiabilityRun> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${staffToken(run.settings)}` };
  const timed = async (asOf: Date | null) => {
    const started = process.hrtime.bigint();
    const response = await fetch(graphqlUrl(system.gateway), { method: 'POST', headers, body: JSON.stringify({ query: LIABILITY, variables: { asOf: asOf?.toISOString() ?? null } }) });
    const answer = (await response.json()) as { data?: { pointsLiability: { accounts: number; outstandingPoints: number } }; errors?: unknown[] };
    if (answer.errors || !answer.data) throw new Error(`pointsLiability failed: ${JSON.stringify(answer.errors)}`);
    return { seconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)), report: answer.data.pointsLiability };
  };
  const now = await timed(null);
  const past = await timed(new Date(Date.now() - 30 * 86_400_000));
  return { nowSeconds: now.seconds, pastSeconds: past.seconds, accounts: now.report.accounts, outstandingPoints: now.report.outstandingPoints };
}

async function pointsVerify(run: BenchRun, dbName: string): Promise<VerifyRun> {
  const result = await runProcess('npm', ['run', '--silent', 'points:verify'], serviceEnv(run.settings, dbName));
  const checked = /checked (\d+) ledger entries of \d+ members in ([\d.]+) s/.exec(result.stdout);
  return {
    seconds: Number(result.seconds.toFixed(1)),
    checkSeconds: checked ? Number(checked[2]) : null,
    entries: checked ? Number(checked[1]) : null,
    ok: result.code === 0 && result.stdout.includes('ledger OK'),
  };
}

/** Scenario 4, second half (after scenario 2 has written to the same data set): history page and points:verify. */
export async function scaleScenario(run: BenchRun, system: BenchSystem, dbName: string, seeded: SeedRun): Promise<{ history: TimedRun; verify: VerifyRun }> {
  run.log('scenario 4: member-history page, points liability and points:verify');
  const history = await historyPages(run, system);
  run.log(`member-history page: median ${history.medianMs} ms, p95 ${history.p95Ms} ms over ${history.requests} requests; now the points liability`);
  const liability = await liabilityReport(run, system);
  run.log(`points liability: ${liability.nowSeconds} s now, ${liability.pastSeconds} s as of 30 days ago (${liability.accounts} accounts)`);
  const verify = await pointsVerify(run, dbName);
  const notes = verify.ok ? [] : ['points:verify found a mismatch (or failed): see its output above'];
  printTable(
    `Scenario 4: scale (${seeded.members.toLocaleString('en')} members, ${seeded.purchases.toLocaleString('en')} purchases, ${seeded.ledgerEntries.toLocaleString('en')} ledger entries seeded)`,
    ['measure', 'value', 'unit'],
    [
      ['seeding (generator, streaming)', seeded.seconds, 's'],
      ['seeding rate', Number(((seeded.purchases + seeded.members) / seeded.seconds).toFixed(0)), 'members+purchases/s'],
      [`member-history page, median of ${history.requests}`, history.medianMs, 'ms'],
      ['member-history page, p95', history.p95Ms, 'ms'],
      [`points liability now, through the gateway (${liability.accounts} accounts)`, liability.nowSeconds, 's'],
      ['points liability as of 30 days ago (from the ledger)', liability.pastSeconds, 's'],
      ['npm run points:verify (wall, incl. start-up)', verify.seconds, 's'],
      [`points:verify check itself (${verify.entries ?? '?'} entries)`, verify.checkSeconds, 's'],
      ['points:verify result', verify.ok ? 'ledger OK' : 'FAILED', ''],
    ],
  );
  writeReport(
    {
      scenario: 'scale',
      title: 'Scale: seeding, member-history page, points liability, points:verify',
      parameters: { ...run.options.scale, anchor: run.options.scale.anchor.toISOString(), historyRequests: HISTORY_REQUESTS },
      results: { seeded, history, liability, verify },
      notes,
    },
    run.info,
  );
  return { history, verify };
}
