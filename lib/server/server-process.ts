import type { ChildProcess } from 'node:child_process';

/**
 * Resolves once a server child process writes `marker` to its stderr (or `stream`): its "ready" line. Rejects,
 * killing it, when it exits first or stays silent for `timeoutMs`; the error carries what it wrote.
 */
export function waitForReadyLine(
  child: ChildProcess,
  name: string,
  marker: string,
  timeoutMs = 30_000,
  stream: 'stdout' | 'stderr' = 'stderr',
): Promise<void> {
  const output = child[stream];
  return new Promise<void>((resolve, reject) => {
    let written = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${written}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`${name} exited with code ${code}:\n${written}`)));
    output?.on('data', (chunk: Buffer) => {
      written += chunk.toString();
      if (written.includes(marker)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        output.removeAllListeners('data');
        // keep draining, so a chatty server never blocks on a full pipe
        output.resume();
        resolve();
      }
    });
  });
}
