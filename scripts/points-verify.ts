import { loadConfigOrExit } from '@omo/lib/core/config';
import { connectDatabase } from '@omo/lib/core/db';
import { ledgerEntryModel } from '@omo/points/src/models/ledger-entry.model';
import { pointAccountModel } from '@omo/points/src/models/point-account.model';
import { verifyLedger } from '@omo/points/src/services/ledger-verify';
import { resolveMongodbUri } from './runtime';

/** `npm run points:verify`: balance == sum(ledger) == sum(remaining lots) for every member; exit 1 on any mismatch. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const connection = await connectDatabase(resolveMongodbUri(config.MONGODB_URI), config.MONGODB_DB);
  try {
    const started = Date.now();
    const report = await verifyLedger(ledgerEntryModel(connection), pointAccountModel(connection));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`checked ${report.entries} ledger entries of ${report.members} members in ${seconds} s\n`);
    for (const problem of report.problems) process.stdout.write(`MISMATCH ${problem}\n`);
    process.exitCode = report.problems.length ? 1 : 0;
    if (!report.problems.length) process.stdout.write('ledger OK\n');
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
