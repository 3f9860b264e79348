import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, json } from 'express';
import { parse } from 'graphql';
import { IDENTITY_HEADER, verifyIdentity } from '@omo/lib/auth';
import {
  buildSubgraphApollo,
  headerValue,
  type BuiltSubgraph,
  type SubgraphBuildOptions,
} from '@omo/lib/subgraph-server';
import { createMembersContext, type MembersContext, type MembersDeps } from './context';
import { membersModels } from './models';
import { resolvers } from './resolvers';
import { ApiKeyService } from './services/api-key.service';
import { MemberService } from './services/member.service';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface MembersSubgraph extends BuiltSubgraph<MembersContext>, MembersDeps {
  apiKeys: ApiKeyService;
}

/** Builds the members subgraph on a connection, without a port: tests call `apollo.executeOperation`. */
export function buildMembersSubgraph(options: SubgraphBuildOptions): MembersSubgraph {
  const models = membersModels(options.connection);
  const deps: MembersDeps = { models, memberService: new MemberService(models) };
  const apiKeys = new ApiKeyService(models);
  const apollo = buildSubgraphApollo<MembersContext>({
    name: 'members',
    typeDefs,
    resolvers,
    logger: options.logger,
    production: options.production,
  });
  return {
    ...deps,
    apollo,
    apiKeys,
    routes: internalRoutes(apiKeys, options.internalSecret),
    createContext: (base) => createMembersContext(deps, base),
  };
}

/** The gateway verifies POS keys here: members owns the keys, and only callers with a service credential may ask. */
function internalRoutes(apiKeys: ApiKeyService, internalSecret: string): Router {
  const router = Router();
  router.post('/internal/api-keys/verify', json({ limit: '4kb' }), async (req, res) => {
    let caller;
    try {
      caller = verifyIdentity(headerValue(req.headers[IDENTITY_HEADER]), internalSecret);
    } catch {
      return void res.status(401).json({ error: 'unauthenticated' });
    }
    if (caller.kind !== 'service') return void res.status(403).json({ error: 'forbidden' });
    const key = (req.body as { key?: unknown } | undefined)?.key;
    const verified = typeof key === 'string' ? await apiKeys.verify(key) : null;
    if (!verified) return void res.status(404).json({ error: 'invalid key' });
    res.json(verified);
  });
  return router;
}
