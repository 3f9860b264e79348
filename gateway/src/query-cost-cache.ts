import { LRUCache } from 'lru-cache';
import { visit, type ASTNode, type DocumentNode } from 'graphql';

/** As many operations as a gateway sees distinct ones (with their pricing variables); each entry is a short key and a number. */
const MAX_CACHED_ESTIMATES = 5_000;

/** What an estimate came to: the cost, or that the operation expands to more selections than are counted. */
export type CostEstimate = number | 'too-many-selections';

/** The names of the variables used anywhere inside a node. */
function variablesIn(node: ASTNode, into: Set<string>): void {
  visit(node, {
    Variable(variable) {
      into.add(variable.name.value);
    },
  });
}

/**
 * Remembers each operation's estimate, as the gateway remembers its query plan, so that a client sending the same
 * operation again is not priced again. The estimate reads variables only in @skip / @include and in slicing
 * arguments (`first`), so those variables' values are part of the key: the same document with a larger page is
 * priced afresh. Every other variable (an id, an input) changes nothing the estimate counts.
 */
export class CostEstimateCache {
  private readonly estimates = new LRUCache<string, CostEstimate>({ max: MAX_CACHED_ESTIMATES });
  // per parsed document: Apollo Server hands the same one back for the same text while it keeps it
  private readonly pricingVariables = new WeakMap<DocumentNode, readonly string[]>();

  /** @param slicingArguments every argument name any @listSize slices by, whichever field declares it */
  constructor(private readonly slicingArguments: ReadonlySet<string>) {}

  /**
   * The estimate of the operation with these variables, as the request sent them (the same values coerce to the
   * same, so a hit need not coerce them again): remembered, or made by `estimate` and kept; `estimate` answers
   * undefined for variables that do not coerce, and that is not kept.
   */
  estimate(
    operation: { queryHash: string; document: DocumentNode; name: string | undefined; variables: Record<string, unknown> },
    estimate: () => CostEstimate | undefined,
  ): CostEstimate | undefined {
    const key = this.keyOf(operation);
    const known = key === undefined ? undefined : this.estimates.get(key);
    if (known !== undefined) return known;
    const made = estimate();
    if (key !== undefined && made !== undefined) this.estimates.set(key, made);
    return made;
  }

  /**
   * The document, the operation, and the value of each variable the estimate may read (absent and null told
   * apart, as an argument's default applies only to the first); none when such a value is not a plain scalar.
   */
  private keyOf({ queryHash, document, name, variables }: Parameters<CostEstimateCache['estimate']>[0]): string | undefined {
    const parts = [queryHash, name ?? ''];
    for (const variable of this.pricingVariablesOf(document)) {
      const value = variables[variable];
      if (value !== null && value !== undefined && typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') return undefined;
      parts.push(variable in variables ? JSON.stringify(value) : '');
    }
    return parts.join('\n');
  }

  private pricingVariablesOf(document: DocumentNode): readonly string[] {
    let names = this.pricingVariables.get(document);
    if (!names) {
      const found = new Set<string>();
      const { slicingArguments } = this;
      visit(document, {
        // @skip and @include decide what is counted; other directives' variables are keyed on too, needlessly but safely
        Directive: (directive) => variablesIn(directive, found),
        Field: (field) => {
          for (const argument of field.arguments ?? []) {
            if (slicingArguments.has(argument.name.value)) variablesIn(argument.value, found);
          }
        },
      });
      names = [...found].sort();
      this.pricingVariables.set(document, names);
    }
    return names;
  }
}
