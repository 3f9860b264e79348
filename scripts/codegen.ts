import { readFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateResolverTypes, subgraphCodegen } from '../codegen';

/** `npm run codegen` writes the resolver types; `--check` only reports the stale ones and exits 1 (CI, tests). */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const name of Object.keys(subgraphCodegen)) {
    const { file, content } = await generateResolverTypes(name);
    const relative = path.relative(process.cwd(), file);
    if (check) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== content) stale.push(relative);
      continue;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    process.stdout.write(`wrote ${relative}\n`);
  }
  if (stale.length) {
    process.stderr.write(`stale generated files (run \`npm run codegen\`):\n${stale.map((f) => `  ${f}\n`).join('')}`);
    process.exit(1);
  }
  if (check) process.stdout.write('generated resolver types are current\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
