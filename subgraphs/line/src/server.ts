import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/subgraph-server';
import { createLineContext, type LineContext } from './context';
import { lineLinkModel } from './models/line-link.model';
import { resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export function buildLineSubgraph(options: SubgraphBuildOptions): BuiltSubgraph<LineContext> {
  const links = lineLinkModel(options.connection);
  const apollo = buildSubgraphApollo<LineContext>({ name: 'line', typeDefs, resolvers, ...options });
  return { apollo, createContext: (base) => createLineContext(links, base) };
}
