import type { ApolloServerPlugin } from '@apollo/server';
import { AppError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';

/**
 * Replaces a response whose JSON is larger than maxBytes with a RESPONSE_TOO_LARGE error, and logs it: the work is
 * done by then, but the caller is not sent megabytes, and the log shows who asks for them.
 */
export function responseSizeLimitPlugin<TContext extends { logger: Logger }>(maxBytes: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const bytes = Buffer.byteLength(JSON.stringify(response.body.singleResult));
          if (bytes <= maxBytes) return;
          contextValue.logger.warn({ operation: request.operationName, bytes, limit: maxBytes }, 'response too large');
          const error = new AppError(
            `The response is larger than ${maxBytes} bytes; ask for fewer fields, aliases or items`,
            'RESPONSE_TOO_LARGE',
            { limit: maxBytes },
          );
          response.body.singleResult = { data: null, errors: [error.toJSON()] };
        },
      };
    },
  };
}
