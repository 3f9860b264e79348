import { randomUUID } from 'node:crypto';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { findsOn, openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import type { MemberDoc } from '../models/member.model';
import { buildMembersSubgraph, type MembersSubgraph } from '../server';

const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Member { id displayName memberCode } }
  }
`;

let db: TestDatabase;
let subgraph: MembersSubgraph;
const staff: Caller = { kind: 'staff', staffId: 'staff-1', role: 'STAFF' };

beforeAll(async () => {
  db = await openTestDatabase();
  subgraph = buildMembersSubgraph(testBuildOptions(db.connection));
  await ensureIndexes(db.connection);
  await subgraph.apollo.start();
});
afterAll(async () => {
  await subgraph.apollo.stop();
  await db.drop();
});

async function registerMembers(count: number): Promise<MemberDoc[]> {
  const members: MemberDoc[] = [];
  for (let i = 0; i < count; i += 1) {
    members.push(await subgraph.memberService.register(staff, { displayName: `会員${i}`, email: `m${i}-${randomUUID()}@example.com`, registeredVia: 'ONLINE' }));
  }
  return members;
}

async function resolveEntities(caller: Caller, ids: string[]) {
  const contextValue = subgraph.createContext({ caller, requestId: 'test', logger: createLogger('silent') });
  const response = await subgraph.apollo.executeOperation(
    { query: ENTITIES, variables: { representations: ids.map((id) => ({ __typename: 'Member', id })) } },
    { contextValue },
  );
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult;
}

const PROFILE = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Member { id birthday marketingConsent { granted source updatedAt } } }
  }
`;

describe('Member profile fields', () => {
  it('show birthday and consent to staff and the member themself, null to other callers', async () => {
    const member = await subgraph.memberService.register(staff, {
      displayName: '誕生日',
      email: `b-${randomUUID()}@example.com`,
      registeredVia: 'ONLINE',
      birthday: '1995-05-05',
      marketingConsent: true,
    });
    const id = member._id.toHexString();
    const read = async (caller: Caller) => {
      const contextValue = subgraph.createContext({ caller, requestId: 'test', logger: createLogger('silent') });
      const response = await subgraph.apollo.executeOperation({ query: PROFILE, variables: { representations: [{ __typename: 'Member', id }] } }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult.data;
    };
    const visible = { _entities: [{ id, birthday: '1995-05-05', marketingConsent: { granted: true, source: 'STAFF', updatedAt: member.marketingConsent?.updatedAt.toISOString() } }] };
    expect(await read(staff)).toEqual(visible);
    expect(await read({ kind: 'customer', memberId: id })).toEqual(visible);
    expect(await read({ kind: 'pos', keyId: 'key-1', storeIds: ['store-1'] })).toEqual({ _entities: [{ id, birthday: null, marketingConsent: null }] });
  });
});

describe('Member entity references', () => {
  it('resolves N references with one database query, in the order asked', async () => {
    const members = await registerMembers(25);
    const ids = members.map((m) => m._id.toHexString()).reverse();
    db.commands.length = 0;

    const result = await resolveEntities(staff, ids);

    expect(result.errors).toBeUndefined();
    const entities = (result.data as { _entities: { id: string; memberCode: string }[] })._entities;
    expect(entities.map((e) => e.id)).toEqual(ids);
    expect(findsOn(db.commands, 'members')).toHaveLength(1);
  });

  it('returns null for an unknown member and refuses a customer another member', async () => {
    const [member, other] = await registerMembers(2);
    const unknown = await resolveEntities(staff, ['0123456789abcdef01234567']);
    expect(unknown.data).toEqual({ _entities: [null] });

    const customer: Caller = { kind: 'customer', memberId: member!._id.toHexString() };
    const refused = await resolveEntities(customer, [other!._id.toHexString()]);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
