import type { ChildProcess } from 'node:child_process';

/**
 * Resolves once a server child process writes `marker` to its stderr (its "ready" line). Rejects, killing it, when
 * it exits first or stays silent for `timeoutMs`; the error carries what it wrote.
 */
export function waitForReadyLine(child: ChildProcess, name: string, marker: string, timeoutMs = 30_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${stderr}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`${name} exited with code ${code}:\n${stderr}`)));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(marker)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr?.removeAllListeners('data');
        // keep draining, so a chatty server never blocks on a full pipe
        child.stderr?.resume();
        resolve();
      }
    });
  });
}
