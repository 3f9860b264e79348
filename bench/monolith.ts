import { randomUUID } from 'node:crypto';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { addResolversToSchema } from '@graphql-tools/schema';
import express from 'express';
import {
  GraphQLScalarType,
  defaultFieldResolver,
  getNamedType,
  isCompositeType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { callerOf, type BearerVerifier } from '@omo/lib/core/bearer-tokens';
import { makeFormatError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { type BaseContext } from '@omo/lib/server/subgraph-server';
import { headerValue, listen, type RunningHttpServer } from '@omo/lib/server/http';

/**
 * The monolith of scenario 1: the four subgraphs' own resolvers, unchanged, mounted in ONE non-federated schema
 * (the supergraph's API schema) and served by one process. What the gateway does between subgraphs happens here
 * in memory: a field owned by another subgraph than the one that produced its parent object gets that object
 * through the owner's __resolveReference, from the key fields, exactly as an `_entities` fetch would.
 */
export interface MonolithPart {
  name: string;
  /** The subgraph's generated `Resolvers` map. */
  resolvers: object;
  /** Builds the subgraph's per-request context (its loaders) from the caller. */
  createContext(base: BaseContext): BaseContext;
}

export interface MonolithContext extends BaseContext {
  /** Each subgraph's own context for this request, created on first use. */
  contextOf(part: string): BaseContext;
}

type Resolver = GraphQLFieldResolver<unknown, unknown>;
type ReferenceResolver = (reference: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) => unknown;
type TypeMap = Record<string, unknown>;

interface Ownership {
  /** Type -> field -> the subgraphs that resolve it, in supergraph order. */
  fields: Map<string, Map<string, string[]>>;
  /** Type -> subgraph -> its key fields, for entity types. */
  keys: Map<string, Map<string, string[]>>;
}

function ownershipOf(supergraph: Supergraph): Ownership {
  const fields = new Map<string, Map<string, string[]>>();
  const keys = new Map<string, Map<string, string[]>>();
  for (const subgraph of supergraph.subgraphs()) {
    const keyDirective = subgraph.metadata().keyDirective();
    for (const type of subgraph.schema.objectTypes()) {
      const byField = fields.get(type.name) ?? new Map<string, string[]>();
      fields.set(type.name, byField);
      for (const field of type.fields()) byField.set(field.name, [...(byField.get(field.name) ?? []), subgraph.name]);
      const key = type.appliedDirectivesOf(keyDirective)[0];
      const keyFields: unknown = key?.arguments().fields;
      if (typeof keyFields === 'string') {
        if (keyFields.includes('{')) throw new Error(`monolith: nested key fields of ${type.name} are not supported`);
        const byGraph = keys.get(type.name) ?? new Map<string, string[]>();
        byGraph.set(subgraph.name, keyFields.split(/\s+/).filter(Boolean));
        keys.set(type.name, byGraph);
      }
    }
  }
  return { fields, keys };
}

function resolverOf(value: unknown): Resolver | undefined {
  if (typeof value === 'function') return value as Resolver;
  if (value && typeof value === 'object' && typeof (value as { resolve?: unknown }).resolve === 'function') {
    return (value as { resolve: Resolver }).resolve;
  }
  return undefined;
}

/** Builds the monolith's executable schema from the supergraph SDL and each subgraph's resolvers. */
export function buildMonolithSchema(supergraphSdl: string, parts: MonolithPart[]): GraphQLSchema {
  const supergraph = Supergraph.build(supergraphSdl);
  const schema = supergraph.apiSchema().toGraphQLJSSchema();
  const ownership = ownershipOf(supergraph);
  const partByName = new Map(parts.map((p) => [p.name, p]));
  const typesOf = (part: string, type: string): TypeMap | undefined =>
    (partByName.get(part)?.resolvers as Record<string, TypeMap | undefined> | undefined)?.[type];

  // which subgraph produced each object, and each object as each subgraph sees it (its __resolveReference result)
  const producedBy = new WeakMap<object, string>();
  const asSeenBy = new WeakMap<object, Map<string, Promise<unknown>>>();
  const tag = (value: unknown, part: string): void => {
    if (Array.isArray(value)) value.forEach((v) => tag(v, part));
    else if (value && typeof value === 'object') producedBy.set(value, part);
  };

  const fieldValue = (part: string, type: string, field: string, parent: object, context: MonolithContext, info: GraphQLResolveInfo): unknown => {
    const resolve = resolverOf(typesOf(part, type)?.[field]) ?? defaultFieldResolver;
    return resolve(parent, {}, context.contextOf(part), info);
  };

  /** The parent as subgraph `part` would receive it: itself, or its entity reference resolved by `part`. */
  const parentFor = async (part: string, type: string, parent: object, context: MonolithContext, info: GraphQLResolveInfo): Promise<unknown> => {
    const producer = producedBy.get(parent);
    if (producer === part) return parent;
    const keyFields = ownership.keys.get(type)?.get(part);
    if (!producer || !keyFields) throw new Error(`monolith: ${type} from ${producer ?? 'nowhere'} cannot reach ${part}`);
    let seen = asSeenBy.get(parent);
    if (!seen) asSeenBy.set(parent, (seen = new Map<string, Promise<unknown>>()));
    let converted = seen.get(part);
    if (!converted) {
      converted = (async () => {
        const reference: Record<string, unknown> = { __typename: type };
        for (const key of keyFields) reference[key] = await fieldValue(producer, type, key, parent, context, info);
        const resolveReference = typesOf(part, type)?.__resolveReference as ReferenceResolver | undefined;
        const entity = resolveReference ? await resolveReference(reference, context.contextOf(part), info) : reference;
        tag(entity, part);
        return entity;
      })();
      seen.set(part, converted);
    }
    return converted;
  };

  const resolvers: Record<string, Record<string, Resolver> | GraphQLScalarType> = {};
  for (const part of parts) {
    for (const [name, value] of Object.entries(part.resolvers)) {
      if (value instanceof GraphQLScalarType && schema.getType(name)) resolvers[name] = value;
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const root = type === schema.getQueryType() || type === schema.getMutationType();
    const fieldResolvers: Record<string, Resolver> = {};
    for (const field of Object.values(type.getFields())) {
      const owners = ownership.fields.get(type.name)?.get(field.name);
      if (!owners?.length) throw new Error(`monolith: no subgraph resolves ${type.name}.${field.name}`);
      const returnsObjects = isCompositeType(getNamedType(field.type));
      fieldResolvers[field.name] = async (parent, args, context, info) => {
        const ctx = context as MonolithContext;
        const producer = root ? undefined : producedBy.get(parent as object);
        const part = producer && owners.includes(producer) ? producer : (owners[0] as string);
        const resolve = resolverOf(typesOf(part, type.name)?.[field.name]) ?? defaultFieldResolver;
        const source = root ? parent : await parentFor(part, type.name, parent as object, ctx, info);
        const value = await resolve(source, args, ctx.contextOf(part), info);
        if (returnsObjects) tag(value, part);
        return value;
      };
    }
    resolvers[type.name] = fieldResolvers;
  }
  return addResolversToSchema({ schema, resolvers });
}

/** Serves the monolith on /graphql with the gateway's caller authentication (bearer tokens) and error format. */
export async function startMonolith(options: {
  supergraphSdl: string;
  parts: MonolithPart[];
  verifier: BearerVerifier;
  logger: Logger;
  port: number;
}): Promise<RunningHttpServer> {
  const { logger, parts } = options;
  const apollo = new ApolloServer<MonolithContext>({
    schema: buildMonolithSchema(options.supergraphSdl, parts),
    formatError: makeFormatError(logger),
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()],
  });
  await apollo.start();
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const caller = await callerOf(headerValue(req.headers.authorization), options.verifier);
        const requestId = randomUUID();
        const base: BaseContext = { caller, requestId, logger: logger.child({ requestId }) };
        const contexts = new Map<string, BaseContext>();
        const byName = new Map(parts.map((p) => [p.name, p]));
        return {
          ...base,
          contextOf: (name) => {
            let context = contexts.get(name);
            if (!context) {
              const part = byName.get(name);
              if (!part) throw new Error(`monolith: no subgraph ${name}`);
              contexts.set(name, (context = part.createContext(base)));
            }
            return context;
          },
        };
      },
    }),
  );
  const running = await listen(app, options.port);
  return {
    ...running,
    close: async () => {
      await running.close();
      await apollo.stop();
    },
  };
}
