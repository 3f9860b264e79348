import { Supergraph } from '@apollo/federation-internals';
import { isObjectType } from 'graphql';
import { readSupergraph } from '@omo/gateway/src/supergraph';
import { resolvers as line } from '@omo/line/src/resolvers';
import { resolvers as members } from '@omo/members/src/resolvers';
import { resolvers as points } from '@omo/points/src/resolvers';
import { resolvers as purchases } from '@omo/purchases/src/resolvers';
import { buildMonolithSchema } from '../../bench/monolith';
import { memberDocs } from '../../bench/seed/dataset';

/** `npm run bench` is not part of the tests; this keeps its modules compiling and its monolith complete. */
describe('bench', () => {
  it('mounts every field of the supergraph in the monolith, every root field on a resolver of its subgraph', () => {
    const subgraphs = { members, points, purchases, line };
    const parts = Object.entries(subgraphs).map(([name, resolvers]) => ({ name, resolvers, createContext: (base: never) => base }));
    const monolith = buildMonolithSchema(readSupergraph(), parts);
    const api = Supergraph.build(readSupergraph()).apiSchema().toGraphQLJSSchema();
    const unmounted: string[] = [];
    let fields = 0;
    for (const type of Object.values(api.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const mounted = monolith.getType(type.name);
      for (const field of Object.keys(type.getFields())) {
        fields += 1;
        if (!isObjectType(mounted) || typeof mounted.getFields()[field]?.resolve !== 'function') unmounted.push(`${type.name}.${field}`);
      }
    }
    const unresolvedRoots = [api.getQueryType(), api.getMutationType()].flatMap((root) =>
      Object.keys(root?.getFields() ?? {})
        .filter((field) => !Object.values(subgraphs).some((resolvers) => (resolvers as Record<string, Record<string, unknown> | undefined>)[root!.name]?.[field]))
        .map((field) => `${root!.name}.${field}`),
    );
    expect(fields).toBeGreaterThan(200);
    expect(unmounted).toEqual([]);
    expect(unresolvedRoots).toEqual([]);
  });

  it('generates the same member history from the same seed', () => {
    const options = { seed: 7, members: 3, purchases: 12, stores: 4, anchor: new Date('2026-01-01T00:00:00Z'), probes: [] };
    expect(memberDocs(options, 5)).toEqual(memberDocs(options, 5));
    expect(memberDocs(options, 5).ledger.at(-1)?.seq).toBe(1 + 4);
  });
});
