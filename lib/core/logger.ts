import pino, { type Logger } from 'pino';

export type { Logger };

/** The process's root logger; each service logs through a child with its name (`logger.child({ service })`). */
export function createLogger(level: string): Logger {
  return pino({ level, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
}
