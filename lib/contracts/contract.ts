import { z } from 'zod';

/**
 * One internal route, declared once for both sides: the owner mounts it from a handler typed by it and parses the
 * request with `request`; callers get a typed client that parses the reply with `response` (lib/server/internal-api).
 * `request` parses what the caller sent (its output is what the handler gets); `response` parses what arrives
 * over JSON (its input is what the handler returns, e.g. a Date that arrives as an ISO string).
 */
export interface Route<Request extends z.ZodType = z.ZodType, Response extends z.ZodType = z.ZodType> {
  method: 'POST';
  path: `/internal/${string}`;
  request: Request;
  response: Response;
  /**
   * The one answer to any request the schema refuses, for routes that have always answered a single message
   * whatever was wrong; without it, the first problem is named (parseInput).
   */
  invalid?: { message: string; field: string };
}

export type Routes = Record<string, Route>;

/** The internal routes one service owns, by the name its callers call them by. */
export interface Contract<R extends Routes = Routes> {
  owner: string;
  routes: R;
}

export function route<Request extends z.ZodType, Response extends z.ZodType>(
  path: Route['path'],
  request: Request,
  response: Response,
  invalid?: Route['invalid'],
): Route<Request, Response> {
  return { method: 'POST', path, request, response, ...(invalid ? { invalid } : {}) };
}

export function contract<R extends Routes>(owner: string, routes: R): Contract<R> {
  return { owner, routes };
}

/** What a caller sends. */
export type RequestOf<R extends Route> = z.input<R['request']>;
/** What the owner's handler gets, parsed. */
export type ParsedRequestOf<R extends Route> = z.output<R['request']>;
/** What the owner's handler returns. */
export type ReplyOf<R extends Route> = z.input<R['response']>;
/** What a caller gets, parsed. */
export type ResponseOf<R extends Route> = z.output<R['response']>;

/** An instant: a Date on the sending side, its ISO string on the wire, a Date again once parsed. */
export const instant = z.union([z.date(), z.iso.datetime().transform((value) => new Date(value))]);
