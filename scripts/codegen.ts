import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateResolverTypes, subgraphCodegen } from '../codegen';

async function main(): Promise<void> {
  for (const name of Object.keys(subgraphCodegen)) {
    const { file, content } = await generateResolverTypes(name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
