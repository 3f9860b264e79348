import express, { Router, type Request, type Response } from 'express';
import { SERVICE_IDENTITY_HEADER, signServiceIdentity, verifyServiceIdentity, type ServiceCaller } from '@omo/lib/core/auth';
import { AppError, type ErrorCode } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { headerValue } from '@omo/lib/server/http';

/**
 * Service-to-service HTTP routes (POST, JSON): not in the public supergraph, callable only with a service identity
 * signed with INTERNAL_SECRET for this service. Expected failures answer { error: { code, message } } with a 4xx status.
 */
export type InternalHandler = (body: unknown, caller: ServiceCaller) => Promise<unknown>;

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INSUFFICIENT_POINTS: 409,
};

export function internalRouter(
  self: string,
  internalSecret: string,
  logger: Logger,
  handlers: Record<string, InternalHandler>,
): Router {
  const router = Router();
  for (const [path, handler] of Object.entries(handlers)) {
    router.post(path, express.json({ limit: '256kb' }), async (req: Request, res: Response) => {
      let caller: ServiceCaller;
      try {
        caller = verifyServiceIdentity(headerValue(req.headers[SERVICE_IDENTITY_HEADER]), internalSecret, self);
      } catch {
        return void res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'Service credential required' } });
      }
      try {
        res.json(await handler(req.body, caller));
      } catch (error) {
        if (error instanceof AppError) {
          const code = error.extensions.code as ErrorCode;
          return void res.status(STATUS[code] ?? 400).json({ error: { code, message: error.message, details: error.extensions } });
        }
        logger.error({ err: error, path }, 'internal API failed');
        res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
      }
    });
  }
  return router;
}

/** A service that could not be reached or failed unexpectedly: the caller keeps the work and retries later. */
export class ServiceUnavailableError extends Error {
  constructor(readonly service: string, reason: string) {
    super(`${service} is unavailable: ${reason}`);
    this.name = 'ServiceUnavailableError';
  }
}

/** Where the other services are; resolved at call time, so services may start in any order. */
export interface ServiceDirectory {
  baseUrl(service: string): string;
}

const TIMEOUT_MS = 10_000;

/** Calls another service's internal route as `service`; AppError for its expected failures, ServiceUnavailableError otherwise. */
export async function callInternal<T>(options: {
  directory: ServiceDirectory;
  target: string;
  path: string;
  body: unknown;
  internalSecret: string;
  service: string;
}): Promise<T> {
  let response: globalThis.Response;
  try {
    response = await fetch(`${options.directory.baseUrl(options.target)}${options.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SERVICE_IDENTITY_HEADER]: signServiceIdentity(options.service, options.target, options.internalSecret),
      },
      body: JSON.stringify(options.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new ServiceUnavailableError(options.target, (error as Error).message);
  }
  if (response.ok) return (await response.json()) as T;
  // a timeout or a rate limit (ours or a proxy's) says nothing about the request: the same one may pass later
  if (response.status >= 500 || response.status === 408 || response.status === 429) throw new ServiceUnavailableError(options.target, `HTTP ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  const { code, message, details } = body.error ?? {};
  const { code: _code, ...rest } = details ?? {};
  throw new AppError(message ?? `HTTP ${response.status}`, (code ?? 'BAD_USER_INPUT') as ErrorCode, rest);
}
