import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { buildSubgraphApollo, type BuiltSubgraph, type SubgraphBuildOptions } from '@omo/lib/subgraph-server';
import { createPurchasesContext, type PurchasesContext } from './context';
import { storeModel } from './models/store.model';
import { resolvers } from './resolvers';
import { StoreService } from './services/store.service';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface PurchasesSubgraph extends BuiltSubgraph<PurchasesContext> {
  storeService: StoreService;
}

export function buildPurchasesSubgraph(options: SubgraphBuildOptions): PurchasesSubgraph {
  const stores = storeModel(options.connection);
  const storeService = new StoreService(stores);
  const apollo = buildSubgraphApollo<PurchasesContext>({ name: 'purchases', typeDefs, resolvers, ...options });
  return { apollo, storeService, createContext: (base) => createPurchasesContext({ stores, storeService }, base) };
}
