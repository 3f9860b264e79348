import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { REPO_ROOT, SUBGRAPH_NAMES } from '@omo/lib/core/config';

export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'schema', 'supergraph.graphql');

/** The URL written into the supergraph for each subgraph; the gateway replaces it with the configured one. */
const DEFAULT_PORTS = { members: 4001, points: 4002, purchases: 4003, line: 4004 } as const;

/** Composes schema/supergraph.graphql from each subgraph's schema.graphql with @apollo/composition. */
export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      url: `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(readFileSync(path.join(REPO_ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8')),
    })),
  );
  if (result.errors?.length || !result.supergraphSdl) {
    throw new Error(`Composition failed:\n${(result.errors ?? []).map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

export function readSupergraph(): string {
  return readFileSync(SUPERGRAPH_PATH, 'utf8');
}
