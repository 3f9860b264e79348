import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '@omo/lib/core/config';
import { SERVICE_ENTRIES, buildServices } from '../../scripts/build';

/** The IPC protocol between the bench and a service process (bench/service-process.ts). */
export type ServiceMessage =
  | { type: 'commands?' }
  | { type: 'commands'; count: number }
  | { type: 'drain-outbox' }
  | { type: 'outbox-drained'; completed: number; pending: number };

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Where it answers, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** Database commands the process has sent so far; undefined for a process without a database. */
  commands(): Promise<number | undefined>;
  /**
   * Delivers the service's due outbox items once, as its background worker would (the bench runs services with
   * workers off, so that their polling does not count as request work). Services without an outbox report zeros.
   */
  drainOutbox(): Promise<{ completed: number; pending: number }>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000;

/**
 * How our services run, as README.md tells a deployment to: a 128 MB old-space limit (what a container with a
 * 256 MB memory limit would set). Without it V8 lets the heap of a busy subgraph grow to 250-310 MB before it
 * collects (measured: purchases 309 MB, points 267 MB over scenarios 1-2), although what it keeps is far less; with
 * it they peaked at 190-200 MB and served the POS run as fast.
 */
export const SERVICE_NODE_FLAGS = ['--max-old-space-size=128'];

/**
 * `BENCH_CPU_PROF=dir`: each of our Node processes writes a V8 CPU profile, `<name>-<time>.cpuprofile`, into dir
 * when it stops (SIGTERM closes it cleanly), for bench/profile-summary.ts. Off by default: the profiler costs CPU.
 */
function cpuProfileFlags(name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
}
const OUTPUT_TAIL = 4_000;

/** `--built`: the scripts that have a build, and the file in dist/ that plain node runs instead (set by useBuiltServices). */
let builtScripts: Map<string, string> | undefined;

/**
 * Builds our services as `npm run build` does, and the bench's own service process with them (the same bundling, so
 * the subgraphs it starts are the built code with the bench's IPC; the monolith in it needs devDependencies), then
 * has spawnService run those files.
 */
export async function useBuiltServices(): Promise<void> {
  const entries = { ...SERVICE_ENTRIES, 'bench-service-process': 'bench/service-process.ts' };
  await buildServices(entries, { devDependencies: true });
  builtScripts = new Map(Object.entries(entries).map(([name, source]) => [source, `dist/${name}.js`]));
}

/**
 * Starts a Node process running TypeScript through tsx's loader in the same process (`node --import tsx`), or
 * with `--built` its built file with plain node, or `executable`, so its pid is the server itself and its /proc counters are the
 * server's alone; resolves once `healthPath` answers.
 */
export async function spawnService(options: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  baseUrl: string;
  healthPath: string;
  /** The process answers the IPC command-count question (bench/service-process.ts). */
  countsCommands: boolean;
  /** Node flags before the script (SERVICE_NODE_FLAGS for ours). */
  nodeFlags?: string[];
  /** A program that is not a Node script (Apollo Router): run as it is, with `args`. */
  executable?: string;
}): Promise<ServiceProcess> {
  const [script = '', ...rest] = options.args;
  const built = builtScripts?.get(script);
  const [command, args] = options.executable
    ? [options.executable, options.args]
    : [process.execPath, [...(options.nodeFlags ?? []), ...(options.nodeFlags ? cpuProfileFlags(options.name) : []), ...(built ? [built, ...rest] : ['--import', 'tsx', ...options.args])]];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} did not start`);

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode) throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
    const up = await fetch(`${options.baseUrl}${options.healthPath}`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not answer ${options.healthPath} within ${START_TIMEOUT_MS / 1000} s:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    name: options.name,
    pid,
    baseUrl: options.baseUrl,
    commands: async () => (options.countsCommands ? (await ask(child, options.name, { type: 'commands?' }, 'commands')).count : undefined),
    drainOutbox: async () => {
      if (!options.countsCommands) return { completed: 0, pending: 0 };
      const { completed, pending } = await ask(child, options.name, { type: 'drain-outbox' }, 'outbox-drained');
      return { completed, pending };
    },
    stop: () => stopChild(child),
  };
}

/** Sends one question over IPC and waits for the answer of the given type. */
function ask<T extends ServiceMessage['type']>(child: ChildProcess, name: string, question: ServiceMessage, answer: T): Promise<Extract<ServiceMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`${name} did not answer ${question.type}`));
    }, 120_000);
    const onMessage = (message: ServiceMessage) => {
      if (message.type !== answer) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as Extract<ServiceMessage, { type: T }>);
    };
    child.on('message', onMessage);
    child.send(question);
  });
}

/** SIGTERM (the services close their servers and connections), SIGKILL after 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
