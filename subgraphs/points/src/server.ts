import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/subgraph-server';
import { createPointsContext, type PointsContext } from './context';
import { pointAccountModel } from './models/point-account.model';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export function buildPointsSubgraph(options: SubgraphBuildOptions): BuiltSubgraph<PointsContext> {
  const accounts = pointAccountModel(options.connection);
  const apollo = buildSubgraphApollo<PointsContext>({ name: 'points', typeDefs, resolvers, ...options });
  return { apollo, createContext: (base) => createPointsContext(accounts, base) };
}
