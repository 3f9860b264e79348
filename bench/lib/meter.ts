import { cpuMs, memoryUse } from './proc-stats';

/** A process whose CPU (and, when it has a database connection, commands) a measurement covers. */
export interface Metered {
  name: string;
  pid: number;
  commands?: () => Promise<number | undefined>;
}

export interface ProcessCost {
  /** CPU time (user + system) per request, ms. */
  cpuMs: number;
  /** Database commands per request; null for a process without a database connection. */
  dbOps: number | null;
}

export interface Measurement<T> {
  result: T;
  perProcess: Record<string, ProcessCost>;
  /** All processes' database commands per request. */
  dbOpsPerRequest: number;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function counters(processes: Metered[]): Promise<{ cpu: number; commands: number | undefined }[]> {
  return Promise.all(processes.map(async (p) => ({ cpu: cpuMs(p.pid), commands: await p.commands?.() })));
}

const QUIET_WINDOW_MS = 300;
/** Below a tenth of a core over the window: nothing is being served. */
const QUIET_CPU_MS = QUIET_WINDOW_MS / 10;

/**
 * Waits until the processes are idle, at most `maxMs`: requests still in flight when a load run ends are finished
 * by the servers, and must neither slow down the next run nor escape this one's accounts.
 */
async function waitForQuiet(processes: Metered[], maxMs = 120_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  const total = () => processes.reduce((sum, p) => sum + cpuMs(p.pid), 0);
  while (Date.now() < deadline) {
    const before = total();
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    if (total() - before < QUIET_CPU_MS) return;
  }
}

/**
 * Runs `work` and divides each process's CPU time and database commands by the requests it sent. The accounts are
 * closed once the processes are idle again, so they hold the whole cost of every request sent, in flight or not.
 */
export async function measure<T>(processes: Metered[], requestsOf: (result: T) => number, work: () => Promise<T>): Promise<Measurement<T>> {
  await waitForQuiet(processes);
  const before = await counters(processes);
  const result = await work();
  await waitForQuiet(processes);
  const after = await counters(processes);
  const requests = Math.max(1, requestsOf(result));
  const perProcess: Record<string, ProcessCost> = {};
  let dbOps = 0;
  processes.forEach((p, i) => {
    const b = before[i];
    const a = after[i];
    if (!a || !b) return;
    const commands = a.commands !== undefined && b.commands !== undefined ? a.commands - b.commands : null;
    if (commands !== null) dbOps += commands;
    perProcess[p.name] = { cpuMs: round((a.cpu - b.cpu) / requests), dbOps: commands === null ? null : round(commands / requests) };
  });
  return { result, perProcess, dbOpsPerRequest: round(dbOps / requests) };
}

/** The highest peak RSS (VmHWM) seen for each role, over every process that played it. */
export class PeakMemory {
  private readonly peaks = new Map<string, number>();

  observe(processes: { name: string; pid: number }[]): void {
    for (const p of processes) {
      try {
        const { peakMb } = memoryUse(p.pid);
        this.record(p.name, peakMb);
      } catch {
        // the process is gone: its last observation stands
      }
    }
  }

  record(name: string, peakMb: number): void {
    this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, round(peakMb, 1)));
  }

  get(name: string): number | undefined {
    return this.peaks.get(name);
  }

  entries(): [string, number][] {
    return [...this.peaks];
  }
}
