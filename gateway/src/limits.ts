import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { GraphQLError, Kind, getVariableValues, type SelectionSetNode, type ValidationRule } from 'graphql';
import { AppError } from '@omo/lib/errors';

/**
 * Cost of a field: 1, plus its children's cost times the page size when it takes `first` (a connection), so a
 * query asking for 100 purchases of 100 members is priced as what it would load.
 */
const pageSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = typeof args.first === 'number' && args.first > 0 ? args.first : 1;
  return 1 + childComplexity * first;
};

/**
 * Refuses an operation whose fields nest more than maxDepth levels below the root fields (introspection fields do
 * not count). Each fragment's depth is computed once, so a fragment spread many times costs nothing extra; unknown
 * and cyclic fragments count as flat, left to graphql's own KnownFragmentNames and NoFragmentCycles rules.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragmentDepths = new Map<string, number>();
    const inProgress = new Set<string>();

    const fragmentDepth = (name: string): number => {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      if (!fragment || inProgress.has(name)) return 0;
      inProgress.add(name);
      const depth = selectionDepth(fragment.selectionSet);
      inProgress.delete(name);
      fragmentDepths.set(name, depth);
      return depth;
    };

    const selectionDepth = (selectionSet: SelectionSetNode): number => {
      let depth = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.selectionSet && !selection.name.value.startsWith('__')) {
            depth = Math.max(depth, 1 + selectionDepth(selection.selectionSet));
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = Math.max(depth, selectionDepth(selection.selectionSet));
        } else {
          depth = Math.max(depth, fragmentDepth(selection.name.value));
        }
      }
      return depth;
    };

    return {
      OperationDefinition(operation) {
        const depth = selectionDepth(operation.selectionSet);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The query nests ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: operation,
              extensions: { limit: maxDepth },
            }),
          );
        }
      },
    };
  };
}

/** Refuses an operation whose estimated cost exceeds the limit before any subgraph is called. */
export function costLimitPlugin<TContext extends object>(maxCost: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, schema }) {
          // An operation that cannot be picked is refused by operationResolutionPlugin
          if (!operation) return;
          // Variables that do not fit the operation are reported by the executor as BAD_USER_INPUT
          if (getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}).errors) return;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables ?? {},
              estimators: [pageSizeEstimator],
            });
          } catch (error) {
            // The estimator gives up on documents that expand to more than 10,000 selections
            if (!(error instanceof GraphQLError)) throw error;
            throw new AppError('The query expands to too many selections', 'QUERY_TOO_COMPLEX', { limit: maxCost }, 400);
          }
          if (cost > maxCost) {
            throw new AppError(`Query cost ${cost} exceeds the limit of ${maxCost}`, 'QUERY_TOO_COMPLEX', { limit: maxCost }, 400);
          }
        },
      };
    },
  };
}
