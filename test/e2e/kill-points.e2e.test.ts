import { spawn, type ChildProcess } from 'node:child_process';
import { Types } from 'mongoose';
import { REPO_ROOT } from '@omo/lib/core/config';
import { waitForReadyLine } from '@omo/lib/server/server-process';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * The points service as a real process, killed with SIGKILL in the middle of a stream of purchases: every
 * purchase the register was told about ends COMPLETED once points is back, none is settled twice, and
 * `npm run points:verify` finds the ledger sound.
 */
/** One process per service: node with tsx's loader (the tsx CLI would put a wrapper process in between, and a
 * SIGKILL to the wrapper leaves the server running). */
const NODE_ARGS = ['--import', 'tsx'];

let system: TestSystem;
let pointsPort: number;
let points: ChildProcess | null = null;

function env(): NodeJS.ProcessEnv {
  return system.processEnv({
    LOG_LEVEL: 'info', // its "subgraph listening" line says it is up
    POINTS_PORT: String(pointsPort),
    MEMBERS_URL: `${system.subgraphs.members.url}/graphql`,
    PURCHASES_URL: `${system.subgraphs.purchases.url}/graphql`,
    LINE_URL: `${system.subgraphs.line.url}/graphql`,
  });
}

/**
 * Starts points as its own process and resolves when it logs that it listens (bounded). The port is points' old
 * one, free again once it died, but an ephemeral port: another socket on the machine (an outgoing connection of
 * the other test worker) can hold it for a moment, and a process started then fails with EADDRINUSE, so it is
 * started again, a few times at most.
 */
async function startPointsProcess(attempts = 5): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'subgraphs/points/src/index.ts'], { cwd: REPO_ROOT, env: env(), stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitForReadyLine(child, 'points', 'subgraph listening', 20_000, 'stdout');
  } catch (error) {
    if (attempts > 1 && String(error).includes('EADDRINUSE')) return startPointsProcess(attempts - 1);
    throw error;
  }
  return child;
}

function killPoints(): Promise<void> {
  return new Promise((resolve) => {
    if (!points || points.exitCode !== null || points.signalCode) return resolve();
    points.once('exit', () => resolve());
    points.kill('SIGKILL');
  });
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  pointsPort = system.subgraphs.points.port;
  await system.stop('points'); // its port is taken over by a real process
  points = await startPointsProcess();
}, 60_000);
afterAll(async () => {
  await killPoints();
  await system.close();
});

describe('points killed with SIGKILL mid-stream', () => {
  it('completes every acknowledged purchase exactly once after a restart, and the ledger verifies', async () => {
    const store = await system.graphql<{ createStore: { id: string } }>('mutation { createStore(input: { code: "K001", name: "Kill test", kind: PHYSICAL }) { id } }', {}, system.adminHeaders());
    const storeId = store.data!.createStore.id;
    const pos = await system.posHeaders([storeId]);
    const registered = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: 'Kill', email: 'kill@example.com', registeredVia: 'STORE', registeredStoreId: storeId } },
      pos,
    );
    const member = registered.data!.registerMember;

    const acknowledged = new Set<string>();
    const statusAfterKill: string[] = [];
    const record = async (i: number) => {
      const response = await system.graphql<{ recordPurchase: { id: string; status: string } }>(
        'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }',
        { input: { idempotencyKey: `kill-${i}`, storeId, memberCode: member.memberCode, lines: [{ sku: 'A', name: 'A', unitPrice: 1000, quantity: 1 }], total: 1000 } },
        pos,
      );
      if (response.data?.recordPurchase) acknowledged.add(response.data.recordPurchase.id);
      if (i >= 13) statusAfterKill.push(response.data?.recordPurchase?.status ?? 'not acknowledged');
    };
    // three registers keep ringing up purchases; points dies after the first ten
    let next = 0;
    const register = async () => {
      while (next < 30) {
        const i = next++;
        if (i === 10) await killPoints();
        await record(i);
      }
    };
    await Promise.all([register(), register(), register()]);
    expect(acknowledged.size).toBeGreaterThan(10);
    // the server really died: purchases rung up well after the kill could not be settled
    expect(statusAfterKill.length).toBeGreaterThan(0);
    expect(statusAfterKill.every((status) => status === 'PENDING_POINTS')).toBe(true);

    points = await startPointsProcess();
    await system.db.collection('purchases_outbox').updateMany({}, { $set: { nextAttemptAt: new Date(0) } });
    await system.subgraphs.purchases.built.outbox.drain();
    await system.subgraphs.purchases.built.outbox.drain();

    const purchases = await system.db.collection('purchases').find({ _id: { $in: [...acknowledged].map((id) => new Types.ObjectId(id)) } }).toArray();
    expect(purchases).toHaveLength(acknowledged.size);
    expect(purchases.filter((p) => p.state !== 'COMPLETED')).toEqual([]);
    const earns = await system.db.collection('point_ledger').find({ memberId: member.id, type: 'EARN' }).toArray();
    const perPurchase = new Map<string, number>();
    for (const e of earns) perPurchase.set(String(e.purchaseId), (perPurchase.get(String(e.purchaseId)) ?? 0) + 1);
    expect([...perPurchase.values()].every((n) => n === 1)).toBe(true);
    expect(perPurchase.size).toBe(await system.db.collection('purchases').countDocuments({ memberId: member.id }));

    const verify = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [...NODE_ARGS, 'scripts/points-verify.ts'], { cwd: REPO_ROOT, env: env() });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(verify).toEqual({ code: 0, out: expect.stringContaining('ledger OK') });
  }, 90_000);
});
