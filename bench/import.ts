import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@omo/lib/core/config';
import { createLogger } from '@omo/lib/core/logger';
import { testConfig } from '@omo/tools/testing/config';
import { startSystem } from '../scripts/system';
import { startBenchDatabase } from './lib/database';
import { memoryUse } from './lib/proc-stats';

const USAGE = 'usage: npm run bench:import -- [--members 100000]';

/** Writes `members` generated rows of the CSV format (docs/member-import.md), streamed so the file can be large. */
async function generate(file: string, members: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (line: string) => (out.write(line) ? Promise.resolve() : once(out, 'drain').then(() => undefined));
  await write('legacy_code,display_name,email,phone,birthday,tier,balances\n');
  const tiers = ['', '', '', 'SILVER', 'GOLD'];
  for (let i = 1; i <= members; i += 1) {
    const phone = `090${String(10_000_000 + i).slice(-8)}`;
    const month = String((i % 12) + 1).padStart(2, '0');
    await write(`OLD-${String(i).padStart(7, '0')},会員 ${i},member${i}@example.com,${phone},1980-${month}-15,${tiers[i % tiers.length]},${100 + (i % 900)}@2030-${month}-28;50@2031-03-31\n`);
  }
  out.end();
  await once(out, 'finish');
}

/**
 * The member import at scale: a generated CSV of `--members` rows sent by the CLI (`npm run import`, as its own
 * process, the way an operator runs it) through the gateway to the whole system, on the bench database
 * (bench/lib/database.ts). Prints the CLI's wall time, rows/s and peak RSS (VmHWM, read while it runs).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { members: { type: 'string', default: '100000' } } });
  const members = Number(values.members);
  if (!Number.isInteger(members) || members < 1) throw new Error(USAGE);
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[import ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'omo-bench-import-'));
  const database = await startBenchDatabase(log);
  const config = testConfig({ MONGODB_DB: 'omo_bench_import', LOG_LEVEL: 'warn', RATE_LIMIT_STAFF_PER_MINUTE: '100000' });
  const system = await startSystem({ config, mongodbUri: database.uri, logger: createLogger(config.LOG_LEVEL), runBackground: false });
  try {
    await database.prepareIndexes();
    const file = path.join(dir, 'members.csv');
    await generate(file, members);
    log(`${members.toLocaleString('en')} rows generated; database ${database.kind}`);
    const cliStarted = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import-members.ts', file], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', GATEWAY_URL: system.gatewayUrl, STAFF_JWT_SECRET: config.STAFF_JWT_SECRET, CUSTOMER_JWT_SECRET: config.CUSTOMER_JWT_SECRET, GATEWAY_SECRET: config.GATEWAY_SECRET, INTERNAL_SECRET: config.INTERNAL_SECRET, LINE_CHANNEL_SECRET: config.LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN: config.LINE_CHANNEL_ACCESS_TOKEN },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let peakMb = 0;
    const sampler = setInterval(() => {
      try {
        peakMb = Math.max(peakMb, memoryUse(child.pid!).peakMb);
      } catch {
        // the CLI has exited between two samples
      }
    }, 200);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(sampler);
    const seconds = (Date.now() - cliStarted) / 1000;
    process.stderr.write(stdout.split('\n')[0] + '\n');
    if (code !== 0) throw new Error(`the import CLI exited with ${code}:\n${stdout}`);
    log(`${members.toLocaleString('en')} members imported in ${seconds.toFixed(1)} s: ${Math.round(members / seconds)} rows/s; CLI peak RSS ${peakMb.toFixed(0)} MB`);
  } finally {
    await system.close();
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
