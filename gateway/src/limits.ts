import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import depthLimit from 'graphql-depth-limit';
import type { ValidationRule } from 'graphql';
import { AppError } from '@omo/lib/errors';

/**
 * Cost of a field: 1, plus its children's cost times the page size when it takes `first` (a connection), so a
 * query asking for 100 purchases of 100 members is priced as what it would load.
 */
const pageSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = typeof args.first === 'number' && args.first > 0 ? args.first : 1;
  return 1 + childComplexity * first;
};

export function depthLimitRule(maxDepth: number): ValidationRule {
  return depthLimit(maxDepth) as ValidationRule;
}

/** Refuses an operation whose estimated cost exceeds the limit before any subgraph is called. */
export function costLimitPlugin<TContext extends object>(maxCost: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const cost = getComplexity({
            schema,
            query: document,
            operationName: request.operationName,
            variables: request.variables ?? {},
            estimators: [pageSizeEstimator],
          });
          if (cost > maxCost) {
            throw new AppError(`Query cost ${cost} exceeds the limit of ${maxCost}`, 'QUERY_TOO_COMPLEX', { limit: maxCost });
          }
        },
      };
    },
  };
}
