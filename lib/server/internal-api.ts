import express, { Router, type Request, type Response } from 'express';
import { request, type Dispatcher } from 'undici';
import { SERVICE_IDENTITY_HEADER, serviceIdentitySigner, serviceIdentityVerifier, type ServiceCaller } from '@omo/lib/core/auth';
import { AppError, BadUserInputError, type ErrorCode } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { parseInput } from '@omo/lib/core/validation';
import type { Contract, ParsedRequestOf, ReplyOf, RequestOf, ResponseOf, Route } from '@omo/lib/contracts/contract';
import { headerValue } from '@omo/lib/server/http';

/**
 * Service-to-service HTTP routes (POST, JSON), declared in lib/contracts/<owner>.ts: not in the public supergraph,
 * callable only with a service identity signed with INTERNAL_SECRET for the owner. Expected failures answer
 * { error: { code, message } } with a 4xx status.
 */
export type InternalHandler<R extends Route> = (input: ParsedRequestOf<R>, caller: ServiceCaller) => Promise<ReplyOf<R>>;

/** Every route of a contract, each from a handler typed by it. */
export type InternalHandlers<C extends Contract> = { [K in keyof C['routes']]: InternalHandler<C['routes'][K]> };

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INSUFFICIENT_POINTS: 409,
};

function parseRequest<R extends Route>(route: R, body: unknown): ParsedRequestOf<R> {
  if (!route.invalid) return parseInput(route.request, body) as ParsedRequestOf<R>;
  const result = route.request.safeParse(body);
  if (!result.success) throw new BadUserInputError(route.invalid.message, { field: route.invalid.field });
  return result.data as ParsedRequestOf<R>;
}

/** The owner's side of a contract: every route mounted, its request parsed before the handler sees it. */
export function internalRouter<C extends Contract>(
  contract: C,
  handlers: InternalHandlers<C>,
  options: { internalSecret: string; logger: Logger },
): Router {
  const router = Router();
  const verifyIdentity = serviceIdentityVerifier(options.internalSecret, contract.owner);
  for (const [name, route] of Object.entries(contract.routes)) {
    const handler = handlers[name] as InternalHandler<Route>;
    router.post(route.path, express.json({ limit: '256kb' }), async (req: Request, res: Response) => {
      let caller: ServiceCaller;
      try {
        caller = verifyIdentity(headerValue(req.headers[SERVICE_IDENTITY_HEADER]));
      } catch {
        return void res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'Service credential required' } });
      }
      try {
        res.json(await handler(parseRequest(route, req.body), caller));
      } catch (error) {
        if (error instanceof AppError) {
          const code = error.extensions.code as ErrorCode;
          return void res.status(STATUS[code] ?? 400).json({ error: { code, message: error.message, details: error.extensions } });
        }
        options.logger.error({ err: error, path: route.path }, 'internal API failed');
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

/**
 * The codes of an internal call's refusal that another attempt may get past: the two services not trusting each
 * other (a secret out of step) or the owner down. Any other AppError says the request itself is refused.
 */
export const RETRIED_CODES: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'SERVICE_UNAVAILABLE']);

/** Whether another attempt of an internal call may succeed: anything but an AppError whose code refuses the request. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof AppError) || RETRIED_CODES.has(String(error.extensions.code));
}

/** Where the other services are; resolved at call time, so services may start in any order. */
export interface ServiceDirectory {
  baseUrl(service: string): string;
}

/** Who calls, and how it finds and proves itself to the owner. */
export interface InternalCallerOptions {
  directory: ServiceDirectory;
  internalSecret: string;
  /** The calling service, named in the identity it signs. */
  service: string;
}

/** A contract's routes as methods: each sends a typed request and resolves to the owner's parsed reply. */
export type InternalClient<C extends Contract> = {
  [K in keyof C['routes']]: (request: RequestOf<C['routes'][K]>) => Promise<ResponseOf<C['routes'][K]>>;
};

const TIMEOUT_MS = 10_000;

/**
 * The callers' side of a contract. A route's expected failures are rethrown as the AppError of their code; a
 * timeout, a refused connection, a 5xx, a redirect, a 404 or 405 without the owner's error in it and a reply that
 * does not match the contract (the owner failing or out of reach, not the request) are ServiceUnavailableError, which callers
 * keep and retry.
 */
export function internalClient<C extends Contract>(contract: C, options: InternalCallerOptions): InternalClient<C> {
  const identity = serviceIdentitySigner(options.service, contract.owner, options.internalSecret);
  return Object.fromEntries(
    Object.entries(contract.routes).map(([name, route]) => [name, (request: unknown) => call(contract.owner, route, request, options.directory, identity)]),
  ) as InternalClient<C>;
}

async function call(target: string, route: Route, payload: unknown, directory: ServiceDirectory, identity: () => string): Promise<unknown> {
  let response: Dispatcher.ResponseData;
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  try {
    // undici's own request, not fetch: the WHATWG Request/Response and web streams around each call were about 8% of
    // the purchases service's CPU per sale (its settlement call), for the same keep-alive pool underneath
    response = await request(`${directory.baseUrl(target)}${route.path}`, {
      method: route.method,
      headers: {
        'content-type': 'application/json',
        [SERVICE_IDENTITY_HEADER]: identity(),
      },
      body: JSON.stringify(payload),
      signal,
    });
  } catch {
    // worded as fetch worded them: the reason reaches staff (webhook log, outbox items), and undici's own names the
    // owner's address, which is not theirs to see
    throw new ServiceUnavailableError(target, signal.aborted ? 'The operation was aborted due to timeout' : 'fetch failed');
  }
  const { statusCode, body: stream } = response;
  if (statusCode >= 200 && statusCode < 300) {
    const reply = route.response.safeParse(await stream.json().catch(() => undefined));
    if (!reply.success) {
      const issue = reply.error.issues[0];
      throw new ServiceUnavailableError(target, `its reply to ${route.path} does not match the contract (${issue?.path.join('.') || 'reply'}: ${issue?.message ?? 'invalid'})`);
    }
    return reply.data;
  }
  // a timeout or a rate limit (ours or a proxy's) says nothing about the request: the same one may pass later. Nor
  // does a redirect (a proxy's 307/308 in front of the owner), which is not followed: the signed identity is for
  // the owner's address alone
  if (statusCode >= 500 || statusCode < 400 || statusCode === 408 || statusCode === 429) {
    // read to the end, so the connection goes back to the pool
    await stream.dump().catch(() => undefined);
    throw new ServiceUnavailableError(target, `HTTP ${statusCode}`);
  }
  const body = (await stream.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  const { code, message, details } = body.error ?? {};
  // a 404 or 405 without the owner's error came from something in between (a route a replica still on older code does
  // not have, a proxy's page), so another attempt may reach an owner that answers. Any other 4xx without a code is
  // about the request itself (the owner's body parser refusing it as too large or malformed): resending the same
  // one would never pass
  if (!code && (statusCode === 404 || statusCode === 405)) throw new ServiceUnavailableError(target, `HTTP ${statusCode}`);
  const { code: _code, ...rest } = details ?? {};
  throw new AppError(message ?? `HTTP ${statusCode}`, (code ?? 'BAD_USER_INPUT') as ErrorCode, rest);
}
