import {
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

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

/** A field's @listSize, as the cost spec defines it. */
