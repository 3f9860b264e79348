import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '@omo/lib/core/logger';

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What body-parser's errors mean to a client, by their `type` (its own messages name its internals). */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The request body is not valid JSON',
  'charset.unsupported': 'The request body must be UTF-8',
  'encoding.unsupported': 'The content encoding of the request body is not supported',
};

function sizeLabel(bytes: number): string {
  return bytes % 1_048_576 === 0 ? `${bytes / 1_048_576}mb` : `${Math.round(bytes / 1024)}kb`;
}

/**
 * The last error handler of every server, in place of Express's HTML page (which shows the stack outside
 * production): a request refused before GraphQL (a body too large, not JSON, in an unsupported charset or
 * encoding) gets its 4xx status with a GraphQL-shaped BAD_REQUEST error; anything else a bare 500, logged.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: { status?: unknown; type?: unknown; limit?: unknown }, _req, res, next) => {
    if (res.headersSent) return void next(error);
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) {
      logger.error({ err: error }, 'request failed');
      return void res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
    const message =
      error.type === 'entity.too.large' && typeof error.limit === 'number'
        ? `The request body is larger than ${sizeLabel(error.limit)}`
        : (BODY_ERRORS[String(error.type)] ?? 'The request body could not be read');
    res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  };
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function listen(
  handler: http.RequestListener,
  port: number,
  host = '127.0.0.1',
): Promise<RunningHttpServer> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
