import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@omo/lib/core/config';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

const CSV = 'test/fixtures/import/members.csv';
const JSONL = 'test/fixtures/import/members.jsonl';

let system: TestSystem;
let existingCode: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => new Date('2027-05-10T03:00:00.000Z') });
  existingCode = ok(
    await system.graphql<{ registerMember: { memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { memberCode } }',
      { input: { displayName: '既存 会員', phone: '09011112222', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    ),
  ).registerMember.memberCode;
}, 60_000);
afterAll(() => system.close());

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The test system's own admin token: without ADMIN_TOKEN the CLI signs with `npm start`'s development issuer when
  // .data holds its keys, which this system does not trust (a clone that ran `npm start` once failed here).
  const adminToken = system.adminHeaders().authorization!.replace(/^Bearer /, '');
  const env = system.processEnv({ GATEWAY_URL: system.gatewayUrl, ADMIN_TOKEN: adminToken });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import-members.ts', ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const memberCount = () => system.db.collection('members').countDocuments();

const problems = () => [
  `  line 3 OLD-1002 CREATED: phone belongs to member ${existingCode} already: left out`,
  '  line 4 OLD-1003 INVALID: email is not a valid e-mail address; birthday must be a real date written YYYY-MM-DD, from 1900-01-01 to today; balances.0.points must be at least 1',
  '  line 5 OLD-1004 CREATED: balances: 100 points that expired on 2026-01-31 were not imported',
];

describe('npm run import', () => {
  it('a dry run of the sample CSV prints what would happen and writes nothing', async () => {
    const run = await cli([CSV, '--dry-run']);
    expect(run.stdout.replace(/in \d+\.\d s/, 'in T s').split('\n')).toEqual([
      'Dry run (nothing written): 4 rows in T s: INVALID 1, WOULD_CREATE 3',
      '3 rows need a look:',
      ...problems().map((line) => line.replace('CREATED', 'WOULD_CREATE')),
      '',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\r4 rows done \(100% of the file read\), [\d,]+ rows\/s\n$/);
    expect(await memberCount()).toBe(1);
  }, 60_000);

  it('imports the file in batches, writes the problem rows to the report, and a second run changes nothing', async () => {
    const report = path.join(mkdtempSync(path.join(tmpdir(), 'import-')), 'problems.csv');
    const run = await cli([CSV, '--batch', '2', '--report', report]);
    expect(run.stdout.replace(/in \d+\.\d s/, 'in T s').split('\n')).toEqual([
      '4 rows in T s: CREATED 3, INVALID 1',
      `3 rows need a look (all of them in ${report}):`,
      ...problems(),
      '',
    ]);
    expect(run.code).toBe(1);
    // a batch of 2, then 2
    expect(run.stderr).toMatch(/^\r2 rows done \(\d+% of the file read\), [\d,]+ rows\/s\r4 rows done \(100% of the file read\), [\d,]+ rows\/s\n$/);
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('line,legacy_code,outcome,member_id,messages');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['3,OLD-1002,CREATED', '4,OLD-1003,INVALID', '5,OLD-1004,CREATED']);
    expect(await memberCount()).toBe(4);

    const again = await cli([CSV]);
    expect(again.stdout.split('\n')[0]).toMatch(/^4 rows in \d+\.\d s: INVALID 1, UNCHANGED 3$/);
    expect(await memberCount()).toBe(4);
  }, 60_000);

  it('reads JSON Lines, reporting a row whose shape is wrong by its line', async () => {
    const run = await cli([JSONL]);
    expect(run.stdout.replace(/in \d+\.\d s/, 'in T s').split('\n')).toEqual([
      '2 rows in T s: CREATED 1, INVALID 1',
      '1 rows need a look:',
      '  line 3 OLD-2002 INVALID: balances.0.points Invalid input: expected number, received string',
      '',
    ]);
    const member = ok(await system.graphql<{ memberByCode: { displayName: string; points: { balance: number; tier: string } } }>('{ memberByCode(code: "OLD-2001") { displayName points { balance tier } } }', {}, system.staffHeaders()));
    expect(member.memberByCode).toEqual({ displayName: '山田 花子', points: { balance: 300, tier: 'GOLD' } });
  }, 60_000);

  it('reports a card repeated in a later batch, as written or written otherwise, and sends it no more', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'import-')), 'repeats.csv');
    writeFileSync(
      file,
      [
        'legacy_code,display_name,email,phone,birthday,tier,balances',
        'REP-3001,一郎,,,,,100@2027-12-31',
        'AB-1,二郎,,,,,200@2027-12-31',
        'REP-3001,一郎 again,,,,,900@2027-12-31',
        'A-B1,三郎,,,,,300@2027-12-31',
        '',
      ].join('\n'),
    );
    const run = await cli([file, '--batch', '1']);
    expect(run.stdout.replace(/in \d+\.\d s/, 'in T s').split('\n')).toEqual([
      '4 rows in T s: CREATED 2, INVALID 2',
      '2 rows need a look:',
      '  line 4 REP-3001 INVALID: legacyCode is the same card as line 2',
      '  line 5 A-B1 INVALID: legacyCode is the same card as line 3',
      '',
    ]);
    expect(run.code).toBe(1);
    const balance = async (code: string) =>
      ok(await system.graphql<{ memberByCode: { points: { balance: number } } }>('query($code: String!) { memberByCode(code: $code) { points { balance } } }', { code }, system.staffHeaders()))
        .memberByCode.points.balance;
    expect([await balance('REP-3001'), await balance('AB1')]).toEqual([100, 200]);
  }, 60_000);
});
