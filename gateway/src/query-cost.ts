import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  parse,
  valueFromASTUntyped,
  visit,
  type ASTNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { AppError } from '@omo/lib/core/errors';
import { CostEstimateCache } from './query-cost-cache';

interface ListSize {
  assumedSize?: number;
  slicingArguments: string[];
  sizedFields: string[];
  requireOneSlicingArgument: boolean;
}

/** What the supergraph declares about one field's cost. */
interface FieldPricing {
  weight?: number;
  listSize?: ListSize;
}

/** The @cost and @listSize of the supergraph's fields, by "Type.field". */
export type CostDirectives = ReadonlyMap<string, FieldPricing>;

const COST_SPEC_URL = /^https:\/\/specs\.apollo\.dev\/cost\/v0\.\d+$/;

/**
 * The names @cost and @listSize go by in a supergraph, from its @link to the cost spec: composition links the spec
 * and imports only what it must, so @listSize may appear as @cost__listSize (or another prefix given by `as`).
 */
function costDirectiveNames(document: DocumentNode): { cost: string; listSize: string } | undefined {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = directiveArguments(link);
      if (typeof args.url !== 'string' || !COST_SPEC_URL.test(args.url)) continue;
      const prefix = typeof args.as === 'string' ? args.as : 'cost';
      const imported = new Map<string, string>();
      for (const entry of Array.isArray(args.import) ? (args.import as unknown[]) : []) {
        if (typeof entry === 'string') imported.set(entry, entry);
        else if (entry && typeof entry === 'object' && 'name' in entry) {
          const { name, as } = entry as { name: string; as?: string };
          imported.set(name, as ?? name);
        }
      }
      const local = (name: string, unimported: string) => (imported.get(`@${name}`) ?? `@${unimported}`).slice(1);
      return { cost: local('cost', prefix), listSize: local('listSize', `${prefix}__listSize`) };
    }
  }
  return undefined;
}

function directiveArguments(directive: DirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Reads @cost(weight:) and @listSize from a supergraph's field definitions. @cost is also allowed on arguments,
 * input fields and types; the estimator below prices none of those, so the supergraph is refused rather than
 * priced lower here than Apollo Router would price it.
 */
export function readCostDirectives(supergraphSdl: string): CostDirectives {
  const document = parse(supergraphSdl);
  const names = costDirectiveNames(document);
  const pricing = new Map<string, FieldPricing>();
  if (!names) return pricing;

  visit(document, {
    Directive(node, _key, _parent, _path, ancestors) {
      if (node.name.value !== names.cost && node.name.value !== names.listSize) return;
      const owner = ancestors[ancestors.length - 1] as ASTNode;
      if (owner.kind !== Kind.FIELD_DEFINITION) {
        throw new Error(`@${node.name.value} on ${owner.kind} is not priced by the gateway's cost limit; put it on fields`);
      }
    },
  });

  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const entry: FieldPricing = {};
      for (const directive of field.directives ?? []) {
        const args = directiveArguments(directive);
        if (directive.name.value === names.cost && typeof args.weight === 'number') entry.weight = args.weight;
        if (directive.name.value === names.listSize) {
          entry.listSize = {
            assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
            slicingArguments: strings(args.slicingArguments),
            sizedFields: strings(args.sizedFields),
            requireOneSlicingArgument: args.requireOneSlicingArgument !== false,
          };
        }
      }
      if (entry.weight !== undefined || entry.listSize) pricing.set(`${definition.name.value}.${field.name.value}`, entry);
    }
  }
  return pricing;
}

/** Past this many selections visited the estimate stops: a few tokens of fragments can expand exponentially. */
const MAX_SELECTIONS = 10_000;

/** Thrown by estimateCost when the operation expands to more than MAX_SELECTIONS selections. */
export class TooManySelections extends Error {}

/** The list size a field's @listSize gives in this query, and the child fields it sizes (when it is a connection). */
interface Sizing {
  size?: number;
  sizedFields: ReadonlySet<string>;
}

function sizing(listSize: ListSize, args: Record<string, unknown>, coordinate: string): Sizing {
  const given = listSize.slicingArguments.map((name) => args[name]).filter((v): v is number => typeof v === 'number');
  if (listSize.slicingArguments.length > 0 && listSize.requireOneSlicingArgument && given.length !== 1) {
    throw new AppError(
      `${coordinate} needs exactly one of ${listSize.slicingArguments.join(', ')}`,
      'BAD_USER_INPUT',
      {},
      400,
    );
  }
  // A negative page size would make the children's cost negative
  const size = given.length > 0 ? Math.max(0, ...given) : listSize.assumedSize;
  return { size, sizedFields: new Set(listSize.sizedFields) };
}

function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/**
 * The operation's cost, as Apollo Router's demand control computes it from the same directives: a field costs its
 * @cost weight plus its selections' cost, times its list size, which is the value of its slicing argument (the
 * default counts), else its assumedSize, else, for a field its parent's @listSize names in sizedFields, the
 * parent's size. Fields skipped by @skip/@include and __typename cost nothing; every fragment's type condition
 * counts, as an upper bound. Unlike the Router (objects 1, leaves 0, mutations 10 more), a field without @cost
 * costs 1 whatever its type, and a list without @listSize counts once (only lists of leaves have none).
 */
export function estimateCost(options: {
  schema: GraphQLSchema;
  directives: CostDirectives;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}): number {
  const { schema, directives, fragments, operation, variables } = options;
  let visited = 0;

  const included = (selection: SelectionNode): boolean =>
    getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;

  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, sized?: Sizing): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (++visited > MAX_SELECTIONS) throw new TooManySelections();
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parent, sized?.sizedFields.has(selection.name.value) ? sized.size : undefined);
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
      if (condition && isCompositeType(condition)) cost += selectionCost(fragment.selectionSet, condition, sized);
    }
    return cost;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType, sizeFromParent: number | undefined): number => {
    const name = node.name.value;
    if (name === '__typename') return 0;
    const definition = fieldDefinition(schema, parent, name);
    if (!definition) return 0;
    const coordinate = `${parent.name}.${name}`;
    const declared = directives.get(coordinate);
    const own = declared?.listSize ? sizing(declared.listSize, getArgumentValues(definition, node, variables), coordinate) : undefined;
    const count = isListType(getNullableType(definition.type)) ? (sizeFromParent ?? own?.size ?? 1) : 1;
    const type = getNamedType(definition.type);
    const children = node.selectionSet && isCompositeType(type) ? selectionCost(node.selectionSet, type, own) : 0;
    return count * ((declared?.weight ?? 1) + children);
  };

  const root = schema.getRootType(operation.operation);
  return root ? selectionCost(operation.selectionSet, root) : 0;
}

/**
 * Refuses an operation whose estimated cost (estimateCost, from the supergraph's @cost and @listSize) exceeds the
 * limit, before any subgraph is called. An operation sent again with the same values of the variables its cost
 * reads is not estimated again (CostEstimateCache).
 */
export function costLimitPlugin<TContext extends object>(maxCost: number, supergraphSdl: string): ApolloServerPlugin<TContext> {
  const directives = readCostDirectives(supergraphSdl);
  const estimates = new CostEstimateCache(new Set([...directives.values()].flatMap((pricing) => pricing.listSize?.slicingArguments ?? [])));
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, schema, queryHash }) {
          // An operation that cannot be picked is refused by operationResolutionPlugin
          if (!operation) return;
          const estimate = estimates.estimate({ queryHash, document, name: operation.name?.value, variables: request.variables ?? {} }, () => {
            const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
            // Variables that do not fit the operation are reported by the executor as BAD_USER_INPUT
            if (variables.errors) return undefined;
            const fragments = new Map(
              document.definitions
                .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
                .map((d) => [d.name.value, d]),
            );
            try {
              return estimateCost({ schema, directives, fragments, operation, variables: variables.coerced });
            } catch (error) {
              if (!(error instanceof TooManySelections)) throw error;
              return 'too-many-selections';
            }
          });
          if (estimate === undefined) return;
          if (estimate === 'too-many-selections') {
            throw new AppError('The query expands to too many selections', 'QUERY_TOO_COMPLEX', { limit: maxCost }, 400);
          }
          if (estimate > maxCost) {
            throw new AppError(`Query cost ${estimate} exceeds the limit of ${maxCost}`, 'QUERY_TOO_COMPLEX', { limit: maxCost }, 400);
          }
        },
      };
    },
  };
}
