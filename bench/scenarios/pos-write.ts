import { isDeepStrictEqual } from 'node:util';
import { POS_TOKEN_PATH, posTokenResponseSchema } from '@omo/lib/contracts/members';
import { connectDatabase, type Connection } from '@omo/lib/core/db';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { purchasesModels } from '@omo/purchases/src/models';
import { Types } from 'mongoose';
import { prng, storeIdOf } from '../seed/dataset';
import { runLoad, type LoadStats } from '../lib/load';
import { measure } from '../lib/meter';
import type { ServiceProcess } from '../lib/services';
import { graphqlUrl, type BenchSystem } from '../lib/system';
import { databaseProcess, type BenchRun } from './bench-run';
import { bareWritesRun } from './bare-writes';
import { randomSale, type PosSale } from './pos-sale';
import { reportPosWrite, type PosRow } from './pos-write-report';
import { RECORD_PURCHASE } from './queries';

/** How long the outbox may take to settle, after a run, the purchases that points did not settle in time. */
const SETTLE_TIMEOUT_MS = 120_000;

interface Sent {
  key: string;
  body: string;
  replay: boolean;
}

/** Where scenario 2 sends its purchases: our gateway with the POS key, or Apollo Router with the key's token. */
export interface PosEndpoint {
  target: PosRow['target'];
  gateway: ServiceProcess;
  /** Asked for at the start of each run: a POS token lives POS_TOKEN_TTL_SECONDS (5 minutes by default). */
  headers: () => Promise<Record<string, string>>;
}

interface PosContext {
  run: BenchRun;
  system: BenchSystem;
  connection: Connection;
  storeIds: string[];
  random: () => number;
  runId: string;
  notes: string[];
}

/**
 * Scenario 2: recordPurchase through our gateway with a POS key, from concurrent registers, over the scale data
 * set's members; first with a new idempotency key every time, then with a share of requests replayed (a register
 * retrying). Afterwards every acknowledged purchase must be COMPLETED (once the outbox has settled what points did
 * not answer in time), and a replay must have answered with the purchase its key first recorded. With `router`,
 * the same runs through Apollo Router after ours; then the bare writes (bare-writes.ts) beside them.
 */
export async function posWriteScenario(run: BenchRun, system: BenchSystem, dbName: string, router?: ServiceProcess): Promise<PosRow[]> {
  const { options } = run;
  const dataset = options.scale;
  if (dataset.members === 0) throw new Error('the POS scenario needs members: --members must be above 0');
  const connection = await connectDatabase(run.settings.mongodbUri, dbName);
  const rows: PosRow[] = [];
  const notes: string[] = [];
  try {
    const storeIds = Array.from({ length: dataset.stores }, (_, i) => storeIdOf(dataset, i).toHexString());
    const { key } = await new ApiKeyService(membersModels(connection)).create({ name: 'bench-pos', storeIds });
    const context: PosContext = { run, system, connection, storeIds, random: prng(dataset.seed), runId: `bench-${Date.now().toString(36)}`, notes };
    const endpoints: PosEndpoint[] = [{ target: 'ours', gateway: system.gateway, headers: () => Promise.resolve({ 'x-api-key': key }) }];
    // the router cannot exchange a key (that is our gateway's code): its register exchanges it, as docs/pos-integration.md allows
    if (router) endpoints.push({ target: 'router', gateway: router, headers: async () => ({ authorization: `Bearer ${await posToken(system, key)}` }) });
    const phases = [
      { name: 'distinct keys', replayShare: 0 },
      { name: `${Math.round(options.replayShare * 100)}% replayed`, replayShare: options.replayShare },
    ];
    for (const endpoint of endpoints) {
      for (const [phaseIndex, phase] of phases.entries()) rows.push(await posPhase(context, endpoint, phase, `${endpoint.target}${phaseIndex}`));
    }
    if (endpoints.length > 1) await compareReplayAnswers(context, endpoints);
  } finally {
    await connection.close();
  }
  const bare = await bareWritesRun(run, dbName);
  reportPosWrite(run, Object.keys(system.subgraphs), rows, bare, notes);
  return rows;
}

/** One measured run of one phase through one endpoint, after its warm-up; then its purchases' settlement checked. */
async function posPhase(context: PosContext, endpoint: PosEndpoint, phase: { name: string; replayShare: number }, prefix: string): Promise<PosRow> {
  const { run, system, connection, random, notes } = context;
  const { options } = run;
  let next = 0;
  const acknowledged = new Map<string, string>();
  const acknowledgedBodies: Sent[] = [];
  let wrongReplays = 0;
  let answeredPending = 0;
  let replays = 0;
  const headers = await endpoint.headers();
  const newRequest = (runPrefix: string): Sent => {
    const input = randomSale(random, options.scale, context.storeIds, `${context.runId}-${runPrefix}-${(next += 1)}`);
    return { key: input.idempotencyKey, body: purchaseBody(input), replay: false };
  };
  const load = (runPrefix: string, durationSeconds: number) =>
    runLoad({
      url: graphqlUrl(endpoint.gateway),
      connections: options.registers,
      durationSeconds,
      headers,
      body: (connection) => {
        const earlier = acknowledgedBodies[Math.floor(random() * acknowledgedBodies.length)];
        const sent = earlier && random() < phase.replayShare ? { ...earlier, replay: true } : newRequest(runPrefix);
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

  const label = endpoint.target === 'ours' ? phase.name : `${endpoint.target}: ${phase.name}`;
  run.log(`scenario 2: ${label}`);
  await load(`${prefix}w`, options.warmupSeconds);
  acknowledged.clear();
  acknowledgedBodies.length = 0;
  answeredPending = 0;
  replays = 0;
  const served = [endpoint.gateway, ...Object.values(system.subgraphs)];
  const measured = await measure([...served, ...databaseProcess(run)], (r: LoadStats) => r.sent, () => load(prefix, options.writeDurationSeconds));
  run.memory.observe(served);

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
  if (measured.result.errors) notes.push(`${label}: ${measured.result.errors} errors, e.g. ${measured.result.firstError}`);
  if (notCompleted) notes.push(`${label}: ${notCompleted} acknowledged purchases are not COMPLETED ${SETTLE_TIMEOUT_MS / 1000} s after the run`);
  if (answeredPending) {
    notes.push(`${label}: ${answeredPending} purchases were answered PENDING_POINTS (points did not answer within the internal timeout) and settled by the outbox afterwards`);
  }
  if (wrongReplays) notes.push(`${label}: ${wrongReplays} replays answered with another purchase than their key's`);
  return {
    run: phase.name,
    target: endpoint.target,
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
  };
}

const purchaseBody = (input: PosSale) => JSON.stringify({ query: RECORD_PURCHASE, variables: { input } });

/** The key's POS token from members (POST /oauth/token, OAuth 2 client credentials), as an integrator gets it. */
async function posToken(system: BenchSystem, key: string): Promise<string> {
  const response = await fetch(`${system.subgraphs.members.baseUrl}${POS_TOKEN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString(),
  });
  if (!response.ok) throw new Error(`the POS key exchange answered HTTP ${response.status}`);
  return posTokenResponseSchema.parse(await response.json()).access_token;
}

/**
 * One new sale recorded through our gateway, then the same request (same key) resent through every endpoint: each
 * replay must answer exactly as ours does (the purchase its key recorded, its status, points and the balance).
 */
async function compareReplayAnswers(context: PosContext, endpoints: PosEndpoint[]): Promise<void> {
  const body = purchaseBody(randomSale(context.random, context.run.options.scale, context.storeIds, `${context.runId}-compare`));
  const send = async (endpoint: PosEndpoint) => {
    const response = await fetch(graphqlUrl(endpoint.gateway), { method: 'POST', headers: { 'content-type': 'application/json', ...(await endpoint.headers()) }, body });
    return response.json();
  };
  const [ours, ...others] = endpoints;
  if (!ours) return;
  await send(ours);
  const reference = await send(ours);
  for (const endpoint of others) {
    const answer = await send(endpoint);
    if (!isDeepStrictEqual(answer, reference)) context.notes.push(`recordPurchase replayed via ${endpoint.target} answers differently from ours: ${JSON.stringify(answer).slice(0, 300)}`);
  }
}
