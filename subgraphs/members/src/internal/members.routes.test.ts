import express from 'express';
import { Types } from 'mongoose';
import { SERVICE_IDENTITY_HEADER, signServiceIdentity } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { TEST_INTERNAL_SECRET, testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildMembersSubgraph } from '../server';

/**
 * The members contract's refusals, as its callers have always been answered: each route has one message for any
 * malformed request, and ids or contacts members cannot read are answered as no member rather than refused.
 */
let db: TestDatabase;
let http: RunningHttpServer;

beforeAll(async () => {
  db = await openTestDatabase();
  const members = buildMembersSubgraph(testBuildOptions(db.connection));
  await ensureIndexes(db.connection);
  http = await listen(express().use(members.routes!), 0);
});
afterAll(async () => {
  await http.close();
  await db.drop();
});

async function post(path: string, body?: unknown): Promise<[number, unknown]> {
  const response = await fetch(`${http.url}/internal/members/${path}`, {
    method: 'POST',
    headers: {
      [SERVICE_IDENTITY_HEADER]: signServiceIdentity('purchases', 'members', TEST_INTERNAL_SECRET),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

const refused = (message: string, field: string) => [400, { error: { code: 'BAD_USER_INPUT', message, details: { code: 'BAD_USER_INPUT', field } } }];

describe('members internal routes', () => {
  it('refuse a malformed request with the route’s one message, a missing body included', async () => {
    const ids = refused('ids must be a list of at most 1000 member ids', 'ids');
    const identity = refused('memberCode and an e-mail address or phone number are required', 'memberCode');
    expect([
      await post('resolve-code'),
      await post('resolve-code', { code: 42 }),
      await post('resolve-code', []),
      await post('current', { ids: 'x' }),
      await post('current', { ids: [1] }),
      await post('current', { ids: Array.from({ length: 1001 }, () => 'x') }),
      await post('exists', {}),
      await post('card', {}),
      await post('card', { memberId: 'not-an-id' }),
      await post('verify-identity', { memberCode: '2000000000015' }),
      await post('verify-identity', { memberCode: '2000000000015', email: 5 }),
      await post('verify-identity', { email: 'a@example.com' }),
    ]).toEqual([
      refused('code is required', 'code'),
      refused('code is required', 'code'),
      refused('code is required', 'code'),
      ids,
      ids,
      ids,
      ids,
      refused('memberId is required', 'memberId'),
      refused('Not a valid member id', 'id'),
      identity,
      identity,
      identity,
    ]);
  });

  it('answer ids and contacts they cannot read as no member', async () => {
    const unknown = new Types.ObjectId().toHexString();
    expect([
      await post('current', { ids: ['not-an-id', unknown] }),
      await post('exists', { ids: ['not-an-id', unknown] }),
      await post('find-by-contact', { email: 5, phone: null }),
      await post('find-by-contact', []),
      await post('find-by-contact'),
    ]).toEqual([
      [200, { current: { 'not-an-id': null, [unknown]: null } }],
      [200, { existing: [] }],
      [200, { memberId: null }],
      [200, { memberId: null }],
      [200, { memberId: null }],
    ]);
  });
});
