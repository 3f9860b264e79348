import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Sums the self time of V8 CPU profiles (`BENCH_CPU_PROF=dir npm run bench …`, bench/README.md) by function and by
 * package or file, and by the function of ours that called into it, top N of each: `npx tsx bench/profile-summary.ts dir [--top 30]`. One table per profile.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package> (scoped too) for a dependency, the repository path for ours, the kind for V8's own. */
function owner(url: string): string {
  if (!url) return '(native)';
  const file = url.replace(/^file:\/\//, '');
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inModules?.[1]) return inModules[1];
  if (file.startsWith('node:')) return file;
  return path.relative(process.cwd(), file);
}

/** Ours: a file of the repository, not a dependency, Node's own or the bench. */
function isOurs(url: string): boolean {
  return url.startsWith('file://') && !url.includes('/node_modules/') && !url.includes('/bench/');
}

function top(totals: Map<string, number>, all: number, n: number): string[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${key}`);
}

function summarise(file: string, n: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  // what the dependencies spend is charged to the innermost function of ours on the stack, which chose to call them
  const byOurCaller = new Map<string, number>();
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  const ourCaller = (start: ProfileNode): string => {
    for (let node: ProfileNode | undefined = start; node; node = parents.get(node.id)) {
      const { functionName, url, lineNumber } = node.callFrame;
      if (isOurs(url)) return `${functionName || '(anonymous)'} ${owner(url)}:${lineNumber + 1}`;
    }
    return '(none of ours)';
  };
  let all = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    all += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = owner(url);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byOwner.set(where, (byOwner.get(where) ?? 0) + us);
    const caller = ourCaller(node);
    byOurCaller.set(caller, (byOurCaller.get(caller) ?? 0) + us);
  });
  return [
    `== ${path.basename(file)}: ${(all / 1000).toFixed(0)} ms busy`,
    '-- by package or file',
    ...top(byOwner, all, n),
    '-- by function',
    ...top(byFunction, all, n),
    '-- by the innermost function of ours on the stack',
    ...top(byOurCaller, all, n),
  ].join('\n');
}

const [dir, ...rest] = process.argv.slice(2);
if (!dir) throw new Error('usage: tsx bench/profile-summary.ts <dir> [--top N]');
const topIndex = rest.indexOf('--top');
const n = topIndex >= 0 ? Number(rest[topIndex + 1]) : 30;
for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  process.stdout.write(`${summarise(path.join(dir, name), n)}\n\n`);
}
