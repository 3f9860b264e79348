import { connectDatabase } from '@omo/lib/core/db';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { purchasesModels } from '@omo/purchases/src/models';
import { Types } from 'mongoose';
import { prng, storeIdOf, totalMembers } from '../seed/dataset';
import { runLoad, type LoadStats } from '../lib/load';
import { measure, type ProcessCost } from '../lib/meter';
import { printTable, writeReport } from '../lib/report';
import { graphqlUrl, type BenchSystem } from '../lib/system';
import { databaseProcess, type BenchRun } from './bench-run';
import { bareWritesRun } from './bare-writes';
import { randomSale } from './pos-sale';
import { RECORD_PURCHASE } from './queries';

export interface PosRow extends LoadStats {
  run: string;
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

/** How long the outbox may take to settle, after a run, the purchases that points did not settle in time. */
const SETTLE_TIMEOUT_MS = 120_000;

interface Sent {
  key: string;
  body: string;
  replay: boolean;
}

/**
 * Scenario 2: recordPurchase through our gateway with a POS key, from concurrent registers, over the scale data
 * set's members; first with a new idempotency key every time, then with a share of requests replayed (a register
 * retrying). Afterwards every acknowledged purchase must be COMPLETED (once the outbox has settled what points did
 * not answer in time), and a replay must have answered with the purchase its key first recorded.
 */
export async function posWriteScenario(run: BenchRun, system: BenchSystem, dbName: string): Promise<PosRow[]> {
  const { options } = run;
  const dataset = options.scale;
  const connection = await connectDatabase(run.settings.mongodbUri, dbName);
  const rows: PosRow[] = [];
  const notes: string[] = [];
  try {
    const storeIds = Array.from({ length: dataset.stores }, (_, i) => storeIdOf(dataset, i).toHexString());
    const { key } = await new ApiKeyService(membersModels(connection)).create({ name: 'bench-pos', storeIds });
    const headers = { 'x-api-key': key };
    if (dataset.members === 0) throw new Error('the POS scenario needs members: --members must be above 0');
    const random = prng(dataset.seed);
    const runId = `bench-${Date.now().toString(36)}`;

    const phases = [
      { name: 'distinct keys', replayShare: 0 },
      { name: `${Math.round(options.replayShare * 100)}% replayed`, replayShare: options.replayShare },
    ];
    for (const [phaseIndex, phase] of phases.entries()) {
      let next = 0;
      const acknowledged = new Map<string, string>();
      const acknowledgedBodies: Sent[] = [];
      let wrongReplays = 0;
      let answeredPending = 0;
      let replays = 0;
      const newRequest = (prefix: string): Sent => {
        const input = randomSale(random, dataset, storeIds, `${runId}-${prefix}-${(next += 1)}`);
        return { key: input.idempotencyKey, body: JSON.stringify({ query: RECORD_PURCHASE, variables: { input } }), replay: false };
      };
      const load = (prefix: string, durationSeconds: number) =>
        runLoad({
          url: graphqlUrl(system.gateway),
          connections: options.registers,
          durationSeconds,
          headers,
          body: (connection) => {
            const earlier = acknowledgedBodies[Math.floor(random() * acknowledgedBodies.length)];
            const sent = earlier && random() < phase.replayShare ? { ...earlier, replay: true } : newRequest(prefix);
            connection.sent = sent;
            return sent.body;
          },
          onAnswer: (body, connection) => {
            const sent = connection.sent as Sent;
            const purchase = (JSON.parse(body) as { data?: { recordPurchase?: { id?: string; status?: string } } }).data?.recordPurchase;
            const id = purchase?.id ?? '';
            if (sent.replay) {
              replays += 1;
              if (acknowledged.get(sent.key) !== id) wrongReplays += 1;
            } else {
              acknowledged.set(sent.key, id);
              acknowledgedBodies.push(sent);
              if (purchase?.status === 'PENDING_POINTS') answeredPending += 1;
            }
          },
        });

      run.log(`scenario 2: ${phase.name}`);
      await load(`p${phaseIndex}w`, options.warmupSeconds);
      acknowledged.clear();
      acknowledgedBodies.length = 0;
      answeredPending = 0;
      replays = 0;
      const measured = await measure([system.gateway, ...Object.values(system.subgraphs), ...databaseProcess(run)], (r: LoadStats) => r.sent, () =>
        load(`p${phaseIndex}`, options.writeDurationSeconds),
      );
      run.memory.observe([system.gateway, ...Object.values(system.subgraphs)]);

      const ids = [...acknowledged.values()].filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      const countCompleted = () => purchasesModels(connection).purchases.countDocuments({ _id: { $in: ids }, state: 'COMPLETED' });
      // what points did not settle in time is settled by the purchases outbox, as its worker does every 2 s
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      let completed = await countCompleted();
      while (completed < acknowledged.size && Date.now() < deadline) {
        await system.subgraphs.purchases.drainOutbox();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        completed = await countCompleted();
      }
      const notCompleted = acknowledged.size - completed;
      if (measured.result.errors) notes.push(`${phase.name}: ${measured.result.errors} errors, e.g. ${measured.result.firstError}`);
      if (notCompleted) notes.push(`${phase.name}: ${notCompleted} acknowledged purchases are not COMPLETED ${SETTLE_TIMEOUT_MS / 1000} s after the run`);
      if (answeredPending) {
        notes.push(`${phase.name}: ${answeredPending} purchases were answered PENDING_POINTS (points did not answer within the internal timeout) and settled by the outbox afterwards`);
      }
      if (wrongReplays) notes.push(`${phase.name}: ${wrongReplays} replays answered with another purchase than their key's`);
      rows.push({
        run: phase.name,
        replayShare: phase.replayShare,
        ...measured.result,
        purchasesPerSecond: Number((acknowledged.size / measured.result.seconds).toFixed(1)),
        perProcess: measured.perProcess,
        dbOpsPerRequest: measured.dbOpsPerRequest,
        acknowledged: acknowledged.size,
        answeredPending,
        notCompleted,
        replays,
        replaysAnsweredWithAnotherPurchase: wrongReplays,
      });
    }
  } finally {
    await connection.close();
  }
  const bare = await bareWritesRun(run, dbName);
  if (bare.errors) notes.push(`bare writes: ${bare.errors} errors, e.g. ${bare.firstError}`);
  if (bare.completedWithEntry !== bare.acknowledged) notes.push(`bare writes: only ${bare.completedWithEntry} of ${bare.acknowledged} purchases are COMPLETED with their EARN entry`);
  const ours = rows[0];
  const oursToBare = {
    purchasesPerSecond: ours && bare.purchasesPerSecond ? Number((ours.purchasesPerSecond / bare.purchasesPerSecond).toFixed(3)) : null,
    dbOpsPerPurchase: { ours: ours?.dbOpsPerRequest ?? null, bare: bare.dbOpsPerRequest },
  };

  const subgraphNames = Object.keys(system.subgraphs);
  const cpu = (row: PosRow, names: string[]) => Number(names.reduce((sum, n) => sum + (row.perProcess[n]?.cpuMs ?? 0), 0).toFixed(2));
  printTable(
    `Scenario 2: POS write path (${options.registers} registers, ${totalMembers(dataset).toLocaleString('en')} members with history, ${options.writeDurationSeconds} s each)`,
    ['run', 'req/s', 'new purchases/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms/req: gateway', 'subgraphs', 'database', 'DB ops/req', 'new purchases', 'replays', 'PENDING_POINTS', 'not COMPLETED', 'errors'],
    rows.map((r) => [
      r.run,
      r.requestsPerSecond,
      r.purchasesPerSecond,
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      cpu(r, ['gateway']),
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
    ['run', ...subgraphNames],
    rows.map((r) => [r.run, ...subgraphNames.map((n) => r.perProcess[n]?.dbOps)]),
  );
  printTable(
    `Scenario 2: bare writes (the same purchases' essential writes with the driver alone, ${options.registers} concurrent loops) against ours`,
    ['run', 'new purchases/s', 'p50 ms', 'p95 ms', 'CPU ms/purchase: writer', 'database', 'DB ops/purchase', 'new purchases', 'errors'],
    [
      ...(ours ? [[`ours: ${ours.run}`, ours.purchasesPerSecond, ours.p50Ms, ours.p95Ms, cpu(ours, ['gateway', ...subgraphNames]), cpu(ours, ['database', 'postgres']), ours.dbOpsPerRequest, ours.acknowledged, ours.errors]] : []),
      [bare.run, bare.purchasesPerSecond, bare.p50Ms, bare.p95Ms, bare.perProcess['bare-writer']?.cpuMs, Number(((bare.perProcess.database?.cpuMs ?? 0) + (bare.perProcess.postgres?.cpuMs ?? 0)).toFixed(2)), bare.dbOpsPerRequest, bare.acknowledged, bare.errors],
    ],
  );
  process.stdout.write(`purchases/s ours / bare: ${oursToBare.purchasesPerSecond ?? '-'} (the issue's figure; aim: 1/3 or more)\n`);
  writeReport(
    {
      scenario: 'pos-write',
      title: 'POS write path: recordPurchase through the gateway with a POS key',
      parameters: { registers: options.registers, durationSeconds: options.writeDurationSeconds, members: totalMembers(dataset), seededPurchases: dataset.purchases, replayShare: options.replayShare },
      results: { rows, bare, oursToBare },
      notes,
    },
    run.info,
  );
  return rows;
}
