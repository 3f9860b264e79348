import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '@omo/lib/core/logger';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INSUFFICIENT_POINTS'
  | 'REWARD_UNAVAILABLE'
  | 'OUT_OF_STOCK'
  | 'LIMIT_REACHED'
  | 'COUPON_ALREADY_USED'
  | 'COUPON_ENDED'
  | 'COUPON_NOT_APPLICABLE'
  | 'QUERY_TOO_COMPLEX'
  | 'RESPONSE_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'ALREADY_CLAIMED'
  | 'CLAIM_EXPIRED'
  | 'PURCHASE_REFUNDED'
  | 'MEMBER_WITHDRAWN';

/** An expected failure the caller can act on: its message and code reach the client as they are. */
export class AppError extends GraphQLError {
  constructor(message: string, code: ErrorCode, details: Record<string, unknown> = {}, httpStatus?: number) {
    super(message, { extensions: { code, ...details, ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
    this.name = 'AppError';
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'BAD_USER_INPUT', details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required', httpStatus?: number) {
    super(message, 'UNAUTHENTICATED', {}, httpStatus);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed for this caller', details: Record<string, unknown> = {}) {
    super(message, 'FORBIDDEN', details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(`${what} not found`, 'NOT_FOUND');
  }
}

/** Too many attempts of something counted per caller; `retryAfterSeconds` says when the next one is accepted. */
export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, 'RATE_LIMITED', { retryAfterSeconds });
  }
}

export class AlreadyExistsError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'ALREADY_EXISTS', details);
  }
}

/** Codes that graphql-js / Apollo produce for bad requests: safe to show as they are. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INSUFFICIENT_POINTS',
  'REWARD_UNAVAILABLE',
  'OUT_OF_STOCK',
  'LIMIT_REACHED',
  'COUPON_ALREADY_USED',
  'COUPON_ENDED',
  'COUPON_NOT_APPLICABLE',
  'QUERY_TOO_COMPLEX',
  'RESPONSE_TOO_LARGE',
  'SERVICE_UNAVAILABLE',
  'RATE_LIMITED',
  'ALREADY_CLAIMED',
  'CLAIM_EXPIRED',
  'PURCHASE_REFUNDED',
  'MEMBER_WITHDRAWN',
]);

export function isClientCode(code: unknown): code is string {
  return typeof code === 'string' && CLIENT_CODES.has(code);
}

/** Extension keys a client may see besides `code`; everything else (stack traces, service names) is dropped. */
const PUBLIC_EXTENSION_KEYS = new Set(['claimedByYou', 'couponCode', 'existingMemberCode', 'field', 'limit', 'purchaseId', 'retryAfterSeconds']);

/**
 * Apollo `formatError` for every server: known client errors keep their message and code, anything else
 * becomes a generic INTERNAL_SERVER_ERROR (logged with its details, never sent).
 */
export function makeFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isClientCode(code)) {
      const extensions: Record<string, unknown> = { code };
      for (const [key, value] of Object.entries(formatted.extensions ?? {})) {
        if (PUBLIC_EXTENSION_KEYS.has(key)) extensions[key] = value;
      }
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
