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

/** `repeat`, with a first run at once; stopping waits for that one too (runs overlapping are safe for its tasks). */
export function nowAndRepeat(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): BackgroundTask {
  const first = task().catch((error: unknown) => logger.error({ err: error, task: name }, 'background task failed'));
  const repeated = repeat(name, intervalMs, task, logger);
  return {
    stop: async () => {
      await repeated.stop();
      await first;
    },
  };
}

/** Several background tasks stopped together. */
export function all(tasks: BackgroundTask[]): BackgroundTask {
  return { stop: async () => void (await Promise.all(tasks.map((t) => t.stop()))) };
}
