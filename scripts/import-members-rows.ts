import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';

/** A row as importMembers takes it (the MemberImportRow input). */
export interface ImportRow {
  line: number;
  legacyCode: string;
  displayName?: string | null;
  email?: string | null;
  phone?: string | null;
  birthday?: string | null;
  tier?: string | null;
  balances?: { points: number; expiresOn: string }[] | null;
}

/** A row of the file: ready to send, or refused here because its shape cannot even be sent (its line kept). */
export type FileRow = { line: number; row: ImportRow } | { line: number; legacyCode: string; problem: string };

/** The CSV header names (docs/member-import.md); legacy_code is required, the others optional. */
export const CSV_COLUMNS = ['legacy_code', 'display_name', 'email', 'phone', 'birthday', 'tier', 'balances'] as const;

const text = z.string().nullish();
const jsonRowSchema = z.object({
  legacyCode: z.string(),
  displayName: text,
  email: text,
  phone: text,
  birthday: text,
  tier: text,
  balances: z.array(z.object({ points: z.number().int(), expiresOn: z.string() })).nullish(),
});

/** A CSV balances cell: lots written `<points>@<YYYY-MM-DD>`, separated by `;` (e.g. `300@2027-06-30;200@2028-03-31`). */
const balancesCellSchema = z
  .string()
  .transform((cell) => cell.split(';').map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^\d+@\S+$/, 'must be lots written points@YYYY-MM-DD, separated by ;')))
  .transform((parts) => parts.map((part) => ({ points: Number(part.slice(0, part.indexOf('@'))), expiresOn: part.slice(part.indexOf('@') + 1) })));

/** Counts the bytes read from the file, for the progress figure. */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

const cell = (value: string | undefined): string | null => (value === undefined || value.trim() === '' ? null : value);

/** A CSV file's rows, streamed (csv-parse): the header is line 1; a quoted cell may span lines (its first line counts). */
export async function* csvRows(path: string, counter: ByteCounter): AsyncGenerator<FileRow> {
  const parser = createReadStream(path).pipe(counter).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, info: true }));
  let checked = false;
  for await (const record of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    const { record: values, info } = record;
    if (!checked) {
      if (!('legacy_code' in values)) throw new Error(`The CSV header has no legacy_code column (columns: ${CSV_COLUMNS.join(', ')})`);
      checked = true;
    }
    const line = info.lines;
    const legacyCode = values.legacy_code ?? '';
    const balances = cell(values.balances);
    const lots = balances === null ? null : balancesCellSchema.safeParse(balances);
    if (lots && !lots.success) {
      yield { line, legacyCode, problem: `balances ${lots.error.issues[0]?.message ?? 'is invalid'}` };
      continue;
    }
    yield {
      line,
      row: {
        line,
        legacyCode,
        displayName: cell(values.display_name),
        email: cell(values.email),
        phone: cell(values.phone),
        birthday: cell(values.birthday),
        tier: cell(values.tier),
        balances: lots?.data ?? null,
      },
    };
  }
}

/** A JSON Lines file's rows (one JSON object a line, blank lines skipped), streamed. */
export async function* jsonLinesRows(path: string, counter: ByteCounter): AsyncGenerator<FileRow> {
  const lines = createInterface({ input: createReadStream(path).pipe(counter), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      yield { line, legacyCode: '', problem: 'row is not valid JSON' };
      continue;
    }
    const parsed = jsonRowSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const legacyCode = typeof (value as { legacyCode?: unknown } | null)?.legacyCode === 'string' ? String((value as { legacyCode: string }).legacyCode) : '';
      yield { line, legacyCode, problem: `${issue?.path.join('.') || 'row'} ${issue?.message ?? 'is invalid'}` };
      continue;
    }
    yield { line, row: { line, ...parsed.data } };
  }
}
