import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CONSOLE_ROOT } from '../scripts/console-build';

/**
 * The console's typed operations against the supergraph, as `npm test` checks them: GraphQL Code Generator's client
 * preset (console/codegen.ts) validates every operation in console/src against schema/supergraph.graphql and must
 * produce exactly the committed src/gql/ (`npm run console:codegen` writes it); `npm run typecheck` then checks the
 * app against those types. A schema change that breaks an operation fails here. The generator is an ES module
 * program, so it runs as one.
 */
const CLI = path.join(path.dirname(require.resolve('@graphql-codegen/cli/package.json', { paths: [CONSOLE_ROOT] })), 'cjs', 'bin.js');

async function codegen(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: CONSOLE_ROOT, env: { ...process.env, CI: 'true', NO_COLOR: '1', NODE_ENV: 'development' } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the console’s typed operations', () => {
  it('are valid against the committed supergraph and are what the committed src/gql/ holds', async () => {
    const result = await codegen(['--config', 'codegen.ts', '--check']);
    expect(result).toMatchObject({ code: 0 });
  }, 60_000);

  it('fail on a schema that lost a field an operation asks for', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'omo-codegen-'));
    try {
      const supergraph = await readFile(path.join(CONSOLE_ROOT, '..', 'schema', 'supergraph.graphql'), 'utf8');
      // Member.memberCode, which member search shows, removed as a breaking schema change would
      const broken = supergraph.replace(/(\ntype Member\n[\s\S]*?)\n\s*"""[^"]*"""\n\s*memberCode: String![^\n]*/, '$1');
      expect(broken).not.toBe(supergraph);
      await writeFile(path.join(dir, 'supergraph.graphql'), broken);
      const config = {
        schema: path.join(dir, 'supergraph.graphql'),
        documents: [path.join(CONSOLE_ROOT, 'src/**/*.tsx'), path.join(CONSOLE_ROOT, 'src/**/*.ts'), `!${path.join(CONSOLE_ROOT, 'src/gql/**')}`],
        generates: { [path.join(dir, 'gql') + '/']: { preset: 'client', config: { documentMode: 'string' } } },
      };
      await writeFile(path.join(dir, 'codegen.json'), JSON.stringify(config));
      const result = await codegen(['--config', path.join(dir, 'codegen.json')]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('Cannot query field "memberCode" on type "Member"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
