import type { Logger } from '@omo/lib/core/logger';

export interface BackgroundTask {
  stop(): Promise<void>;
}

/** Runs `task` every intervalMs (never two at once); failures are logged and the loop goes on. */
export function repeat(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): BackgroundTask {
  let stopped = false;
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = task()
      .catch((error: unknown) => logger.error({ err: error, task: name }, 'background task failed'))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Several background tasks stopped together. */
export function all(tasks: BackgroundTask[]): BackgroundTask {
  return { stop: async () => void (await Promise.all(tasks.map((t) => t.stop()))) };
}
