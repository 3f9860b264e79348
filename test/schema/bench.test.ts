import { readSupergraph } from '@omo/gateway/src/supergraph';
import { resolvers as line } from '@omo/line/src/resolvers';
import { resolvers as members } from '@omo/members/src/resolvers';
import { resolvers as points } from '@omo/points/src/resolvers';
import { resolvers as purchases } from '@omo/purchases/src/resolvers';
import { buildMonolithSchema } from '../../bench/monolith';
import { memberDocs } from '../../bench/seed/dataset';

/** `npm run bench` is not part of the tests; this keeps its modules compiling and its monolith complete. */
describe('bench', () => {
  it('mounts every field of the supergraph on one subgraph resolver in the monolith', () => {
    const parts = Object.entries({ members, points, purchases, line }).map(([name, resolvers]) => ({ name, resolvers, createContext: (base: never) => base }));
    expect(buildMonolithSchema(readSupergraph(), parts).getQueryType()?.getFields().member).toBeDefined();
  });

  it('generates the same member history from the same seed', () => {
    const options = { seed: 7, members: 3, purchases: 12, stores: 4, anchor: new Date('2026-01-01T00:00:00Z'), probes: [] };
    expect(memberDocs(options, 5)).toEqual(memberDocs(options, 5));
    expect(memberDocs(options, 5).ledger.at(-1)?.seq).toBe(1 + 4);
  });
});
