import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Linux's clock ticks per second for /proc/<pid>/stat times (100 nearly everywhere). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU time the process and its children have used so far, in ms (resolution: one clock tick,
 * usually 10 ms). Children count because PostgreSQL serves each connection from a child of the postmaster: a
 * live child's own times, and an exited one's as the parent's cutime/cstime.
 */
export function cpuMs(pid: number): number {
  const ticks = [pid, ...childrenOf(pid)].reduce((sum, p) => sum + ownTicks(p), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** utime + stime + cutime + cstime of one process, in ticks (0 once it is gone). */
function ownTicks(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // the command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface MemoryUse {
  /** Peak resident set size since the process started (VmHWM), MB. */
  peakMb: number;
}

export function memoryUse(pid: number): MemoryUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peakMb: kb('VmHWM') / 1024 };
}

/**
 * The process listening on a loopback TCP port (the database server, when it runs on this machine): the socket's
 * inode from /proc/net/tcp, then the process holding it. Undefined when it is elsewhere or not ours to see.
 */
export function listeningPid(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local address is column 1 (ADDR:PORT), state 0A is LISTEN, inode is column 9
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A' && columns[9]) inodes.add(columns[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // the descriptor closed while we looked
      }
    }
  }
  return undefined;
}
