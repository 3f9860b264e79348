import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { normalizeLegacyCode } from '@omo/members/src/services/import/legacy-code';
import { signWithDevIssuer } from './dev-issuer';
import { ByteCounter, csvRows, jsonLinesRows, type FileRow, type ImportRow } from './import-members-rows';
import { resolveGatewayUrl } from './runtime';

const USAGE = 'usage: npm run import -- <members.csv | members.jsonl> [--dry-run] [--format csv|json] [--batch 1-500] [--report problems.csv]';
/** importMembers' limit on rows, and what stays under the gateway's 100 kB body limit with room to spare. */
const MAX_BATCH = 500;
const MAX_BATCH_BYTES = 80_000;
/** Problem rows printed at the end (all of them go to --report). */
const PRINTED_PROBLEMS = 50;
const RETRIES = 5;

const IMPORT = /* GraphQL */ `
  mutation ImportMembers($input: MemberImportInput!) {
    importMembers(input: $input) {
      rows { line legacyCode outcome memberId messages duplicateContacts { kind memberCode } }
    }
  }
`;

interface RowResult {
  line: number;
  legacyCode: string;
  outcome: string;
  memberId: string | null;
  messages: string[];
  duplicateContacts: { kind: string; memberCode: string }[];
}

/** A row needing a person's look: refused, or imported with something left out. */
const isProblem = (row: RowResult) => row.outcome === 'INVALID' || row.messages.length > 0;

/**
 * Streams a file of the previous card system's members to the gateway's importMembers (as an ADMIN), a batch at a
 * time, so memory stays flat whatever the file's size. A batch is sent again after a failure (the import is
 * idempotent by the old code), and a second run of the whole file changes nothing. Token: ADMIN_TOKEN, else a
 * development token as `npm run token -- admin` makes it. Gateway: GATEWAY_URL, else the running `npm start`'s.
 */
async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean', default: false }, format: { type: 'string' }, batch: { type: 'string', default: String(MAX_BATCH) }, report: { type: 'string' } },
  });
  const file = positionals[0];
  const format = values.format ?? (file?.endsWith('.csv') ? 'csv' : 'json');
  const batchSize = Number(values.batch);
  if (!file || positionals.length > 1 || (format !== 'csv' && format !== 'json') || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const gatewayUrl = resolveGatewayUrl(process.env.GATEWAY_URL);
  const token = process.env.ADMIN_TOKEN ?? adminToken();
  const dryRun = values['dry-run'];
  const counter = new ByteCounter();
  const size = statSync(file).size;
  const report = values.report ? createWriteStream(values.report) : null;
  report?.write(stringify([['line', 'legacy_code', 'outcome', 'member_id', 'messages']]));
  const counts = new Map<string, number>();
  const printed: RowResult[] = [];
  let problems = 0;
  let done = 0;
  const started = Date.now();

  const record = (results: RowResult[]) => {
    for (const row of results) {
      counts.set(row.outcome, (counts.get(row.outcome) ?? 0) + 1);
      if (!isProblem(row)) continue;
      problems += 1;
      if (printed.length < PRINTED_PROBLEMS) printed.push(row);
      report?.write(stringify([[row.line, row.legacyCode, row.outcome, row.memberId ?? '', row.messages.join('; ')]]));
    }
    done += results.length;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const share = size ? Math.floor((100 * counter.bytes) / size) : 100;
    process.stderr.write(`\r${done.toLocaleString('en')} rows done (${share}% of the file read), ${Math.round(done / seconds).toLocaleString('en')} rows/s`);
  };

  let batch: ImportRow[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    record(await send(gatewayUrl, token, batch, dryRun));
    batch = [];
    bytes = 0;
  };
  const refuse = (line: number, legacyCode: string, problem: string) =>
    record([{ line, legacyCode, outcome: 'INVALID', memberId: null, messages: [problem], duplicateContacts: [] }]);
  /**
   * The first line of each normalised code sent. importMembers sees one batch and answers a code claimed by an
   * earlier batch UNCHANGED, so a card repeated further down (or written otherwise: `AB-1`, `A-B1`) would be
   * dropped without a word, its balance never imported. Kept in memory: 100,000 codes of at most 40 characters
   * are a few MB, and this is the one thing the run holds for the whole file.
   */
  const firstLine = new Map<string, number>();
  const rows: AsyncGenerator<FileRow> = format === 'csv' ? csvRows(file, counter) : jsonLinesRows(file, counter);
  for await (const fileRow of rows) {
    if (!('row' in fileRow)) {
      refuse(fileRow.line, fileRow.legacyCode, fileRow.problem);
      continue;
    }
    // a code that does not normalise is sent as it is, for the import to say why it is refused
    const code = normalizeLegacyCode(fileRow.row.legacyCode);
    const earlier = code === null ? undefined : firstLine.get(code);
    if (earlier !== undefined) {
      refuse(fileRow.line, fileRow.row.legacyCode, `legacyCode is the same card as line ${earlier}`);
      continue;
    }
    if (code !== null) firstLine.set(code, fileRow.line);
    const rowBytes = Buffer.byteLength(JSON.stringify(fileRow.row));
    if (batch.length >= batchSize || bytes + rowBytes > MAX_BATCH_BYTES) await flush();
    batch.push(fileRow.row);
    bytes += rowBytes;
  }
  await flush();
  await closeReport(report);
  process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  const summary = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([outcome, n]) => `${outcome} ${n}`).join(', ');
  process.stdout.write(`${dryRun ? 'Dry run (nothing written): ' : ''}${done} rows in ${seconds.toFixed(1)} s: ${summary || 'none'}\n`);
  if (problems) {
    process.stdout.write(`${problems} rows need a look${values.report ? ` (all of them in ${values.report})` : ''}:\n`);
    for (const row of printed) process.stdout.write(`  line ${row.line} ${row.legacyCode} ${row.outcome}: ${row.messages.join('; ')}\n`);
    if (problems > printed.length) process.stdout.write(`  ... and ${problems - printed.length} more\n`);
  }
  return counts.get('INVALID') ? 1 : 0;
}

/** One batch to importMembers; resent after a failure that may pass (the gateway or a service down, a rate limit). */
async function send(gatewayUrl: string, token: string, rows: ImportRow[], dryRun: boolean): Promise<RowResult[]> {
  for (let attempt = 1; ; attempt += 1) {
    let retryAfterMs = 1000 * 2 ** attempt;
    try {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: IMPORT, variables: { input: { rows, dryRun } } }),
      });
      const body = (await response.json()) as { data?: { importMembers: { rows: RowResult[] } } | null; errors?: { message: string; extensions?: { code?: string } }[] };
      if (body.data?.importMembers) return body.data.importMembers.rows;
      const error = body.errors?.[0];
      const code = error?.extensions?.code;
      if (code !== 'SERVICE_UNAVAILABLE' && code !== 'RATE_LIMITED' && code !== 'INTERNAL_SERVER_ERROR') {
        throw new Error(`The gateway refused the batch from line ${rows[0]!.line}: ${code ?? response.status} ${error?.message ?? ''}`);
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) retryAfterMs = retryAfter * 1000;
      if (attempt >= RETRIES) throw new Error(`The batch from line ${rows[0]!.line} failed ${RETRIES} times: ${code} ${error?.message ?? ''}`);
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= RETRIES) throw error;
      // fetch's TypeError: the gateway could not be reached; tried again
    }
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
  }
}

function adminToken(): string {
  const config = loadConfigOrExit();
  const claims = { sub: 'import-cli', role: 'ADMIN' as const };
  return signWithDevIssuer(claims, config) ?? signUserToken(claims, config);
}

function closeReport(report: WriteStream | null): Promise<void> {
  return new Promise((resolve, reject) => (report ? report.end((error?: Error | null) => (error ? reject(error) : resolve())) : resolve()));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
