import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, OperationTypeNode } from 'graphql';

function refusal(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: 400 } },
  });
}

/**
 * Refuses, with HTTP 400, a request whose operation cannot be picked (an operationName the document does not
 * define, several operations and no operationName) or is a subscription. Apollo Server leaves the first to the
 * executor, and @apollo/gateway's executor throws on both instead of answering errors, which became HTTP 500.
 */
export function operationResolutionPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (!operation) {
            throw refusal(
              request.operationName
                ? 'The document defines no operation of the given operationName'
                : 'The document defines several operations: give the one to run as operationName',
            );
          }
          if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
            throw refusal('Subscriptions are not supported');
          }
        },
      };
    },
  };
}
