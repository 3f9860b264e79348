import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CONSOLE_DIST } from '@omo/gateway/src/console';
import { REPO_ROOT } from '@omo/lib/core/config';

/**
 * Builds the staff console (console/, Vite) into `outDir`. Vite runs as its own process: it is an ES module, and
 * its build is the one `npm run build` in console/ makes.
 */
export const CONSOLE_ROOT = path.join(REPO_ROOT, 'console');

export async function buildConsole(outDir: string = CONSOLE_DIST): Promise<void> {
  const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [CONSOLE_ROOT] })), 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: CONSOLE_ROOT, maxBuffer: 16 * 1024 * 1024 });
}

function newestChange(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/** Whether the build in `outDir` is missing or older than any of the console's sources. */
export function consoleBuildIsStale(outDir: string = CONSOLE_DIST): boolean {
  const built = path.join(outDir, 'index.html');
  if (!existsSync(built)) return true;
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => path.join(CONSOLE_ROOT, name));
  return Math.max(...sources.map(newestChange)) > statSync(built).mtimeMs;
}

if (require.main === module) {
  buildConsole().then(
    () => process.stdout.write(`built the staff console into ${path.relative(REPO_ROOT, CONSOLE_DIST)}/\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
