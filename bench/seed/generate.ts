import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { connectDatabase } from '@omo/lib/core/db';
import { resolveMongodbUri } from '../../scripts/runtime';
import { totalMembers, totalPurchases, type DatasetOptions } from './dataset';
import { hasData, writeDataset } from './seed-writer';

/** What the issue asks of the scale test; the default is what FerretDB on SQLite seeds within the bench's budget. */
export const FULL_SIZE = { members: 100_000, purchases: 1_000_000 } as const;
export const DEFAULT_SIZE = { members: 50, purchases: 250 } as const;
/** The bench's default on a database with indexes (FerretDB on PostgreSQL, MongoDB): the POS run size. */
export const INDEXED_SIZE = { members: 50_000, purchases: 100_000 } as const;

const USAGE = `usage: npm run bench:seed -- [--members N] [--purchases N] [--stores N] [--seed N] [--anchor ISO-date] [--full] [--drop]
  Seeds MONGODB_URI / MONGODB_DB (or the database of a running \`npm start\`) with a deterministic data set.
  --full  ${FULL_SIZE.members.toLocaleString('en')} members and ${FULL_SIZE.purchases.toLocaleString('en')} purchases (default ${DEFAULT_SIZE.members.toLocaleString('en')} / ${DEFAULT_SIZE.purchases.toLocaleString('en')})
  --drop  drop the database first`;

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number\n${USAGE}`);
  return n;
}

/** Today at 00:00 UTC: the same data set all day, and no lot in it has expired. */
function today(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function parseDatasetArgs(args: string[]): { options: DatasetOptions; drop: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      members: { type: 'string' },
      purchases: { type: 'string' },
      stores: { type: 'string' },
      seed: { type: 'string' },
      anchor: { type: 'string' },
      full: { type: 'boolean', default: false },
      drop: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const size = values.full ? FULL_SIZE : DEFAULT_SIZE;
  const anchor = values.anchor ? new Date(values.anchor) : today();
  if (Number.isNaN(anchor.getTime())) throw new Error(`--anchor must be a date\n${USAGE}`);
  const options: DatasetOptions = {
    members: count(values.members, size.members, 'members'),
    purchases: count(values.purchases, size.purchases, 'purchases'),
    stores: Math.max(1, count(values.stores, 20, 'stores')),
    seed: count(values.seed, 42, 'seed'),
    anchor,
    probes: [],
  };
  return { options, drop: values.drop };
}

/**
 * `npm run bench:seed`: the scale data set, streamed into the database with a progress bar (on stderr). The last
 * line on stdout is a JSON summary, which the bench reads.
 */
async function main(): Promise<void> {
  const { options, drop } = parseDatasetArgs(process.argv.slice(2));
  const config = loadConfigOrExit();
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  const bar = new SingleBar({
    format: 'seeding [{bar}] {percentage}% | {value}/{total} members | {purchases} purchases | {duration}s',
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 5_000,
    hideCursor: true,
  });
  try {
    if (drop) await connection.dropDatabase();
    else if (await hasData(connection)) throw new Error(`Database ${config.MONGODB_DB} already holds data: seed a fresh one, or pass --drop`);
    const started = Date.now();
    bar.start(totalMembers(options), 0, { purchases: 0 });
    const counts = await writeDataset(connection, options, { onProgress: (done) => bar.update(done.members, { purchases: done.purchases }) });
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    // getrusage's peak resident set size: the generator's whole-run peak, exactly
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ ...counts, expectedPurchases: totalPurchases(options), seconds, peakRssMb, database: config.MONGODB_DB })}\n`);
  } finally {
    bar.stop();
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
