import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@omo/lib/core/config';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * POS key management by administrators through the gateway, and the `npm run apikey` CLI against the running
 * system. The test POS tokens live 60 s, which the gateway does not keep, so a revocation shows at once.
 */
const KEY_FIELDS = 'id label stores { id code } createdAt lastUsedAt revokedAt';
const CREATE = /* GraphQL */ `
  mutation Create($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { ${KEY_FIELDS} } } }
`;
const LIST = /* GraphQL */ `{ apiKeys { ${KEY_FIELDS} } }`;
const REVOKE = /* GraphQL */ `mutation Revoke($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
const BY_CODE = /* GraphQL */ `query ByCode($code: String!) { memberByCode(code: $code) { id displayName } }`;

interface ApiKeyView {
  id: string;
  label: string;
  stores: { id: string; code: string }[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const START = new Date('2026-12-01T01:00:00.000Z');
let now = START;
let system: TestSystem;
let shinjuku: { id: string; code: string };
let shibuya: { id: string; code: string };
let member: { id: string; memberCode: string };

function advance(ms: number): Date {
  now = new Date(now.getTime() + ms);
  return now;
}

async function createStore(code: string, name: string): Promise<{ id: string; code: string }> {
  const data = ok(
    await system.graphql<{ createStore: { id: string; code: string } }>(
      'mutation($input: CreateStoreInput!) { createStore(input: $input) { id code } }',
      { input: { code, name, kind: 'PHYSICAL' } },
      system.adminHeaders(),
    ),
  );
  return data.createStore;
}

async function createKey(input: { label: string; storeIds: string[] }): Promise<{ key: string; apiKey: ApiKeyView }> {
  return ok(await system.graphql<{ createApiKey: { key: string; apiKey: ApiKeyView } }>(CREATE, { input }, system.adminHeaders())).createApiKey;
}

function lookUp(key: string): Promise<GraphQLResponse<{ memberByCode: { id: string; displayName: string } }>> {
  return system.graphql(BY_CODE, { code: member.memberCode }, { 'x-api-key': key });
}

/** What a caller sees of a refused operation. */
function refusal(response: GraphQLResponse) {
  return { status: response.status, data: response.data, codes: response.errors?.map((e) => e.extensions?.code) };
}

function keyCount(): Promise<number> {
  return system.db.collection('api_keys').countDocuments();
}

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
  shinjuku = await createStore('S001', '新宿店');
  shibuya = await createStore('S002', '渋谷店');
  const registered = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: '山田花子', email: 'hanako@example.com', registeredVia: 'STORE', registeredStoreId: shinjuku.id } },
      system.adminHeaders(),
    ),
  );
  member = registered.registerMember;
}, 60_000);
afterAll(() => system.close());

describe('POS keys managed by administrators', () => {
  it('creates a key whose secret is shown once and works at its store, and lists it without the secret', async () => {
    const createdAt = advance(60_000);
    const created = await createKey({ label: ' 新宿店レジ1 ', storeIds: [shinjuku.id] });
    expect(created.key).toMatch(new RegExp(`^omo_pos_${created.apiKey.id}_[A-Za-z0-9_-]{43}$`));
    const expected: ApiKeyView = {
      id: created.apiKey.id,
      label: '新宿店レジ1',
      stores: [shinjuku],
      createdAt: createdAt.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    expect(created.apiKey).toEqual(expected);

    const usedAt = advance(5_000);
    expect(ok(await lookUp(created.key)).memberByCode).toEqual({ id: member.id, displayName: '山田花子' });

    const listed = ok(await system.graphql<{ apiKeys: ApiKeyView[] }>(LIST, {}, system.adminHeaders())).apiKeys;
    expect(listed.find((k) => k.id === created.apiKey.id)).toEqual({ ...expected, lastUsedAt: usedAt.toISOString() });
    const secret = created.key.slice(`omo_pos_${created.apiKey.id}_`.length);
    expect(JSON.stringify(listed)).not.toContain(secret);
    const fields = ok(await system.graphql<{ __type: { fields: { name: string }[] } }>('{ __type(name: "ApiKey") { fields { name } } }'));
    expect(fields.__type.fields.map((f) => f.name)).toEqual(['id', 'label', 'stores', 'createdAt', 'lastUsedAt', 'revokedAt']);
  });

  it('lists keys newest first, with every store of a key, and accepts a store code in place of its id', async () => {
    const older = await createKey({ label: 'older', storeIds: [shibuya.id] });
    advance(1_000);
    const newer = await createKey({ label: 'newer', storeIds: [shibuya.code, shinjuku.id, shibuya.id] });
    expect(newer.apiKey.stores).toEqual([shibuya, shinjuku]);
    const listed = ok(await system.graphql<{ apiKeys: ApiKeyView[] }>(LIST, {}, system.adminHeaders())).apiKeys;
    const ids = listed.map((k) => k.id);
    expect(ids.indexOf(newer.apiKey.id)).toBe(0);
    expect(ids.indexOf(newer.apiKey.id)).toBeLessThan(ids.indexOf(older.apiKey.id));
    expect(listed.map((k) => Date.parse(k.createdAt))).toEqual([...listed.map((k) => Date.parse(k.createdAt))].sort((a, b) => b - a));
  });

  it('refuses an unknown store, naming it, and writes no key', async () => {
    const before = await keyCount();
    const unknownId = '0123456789abcdef01234567';
    const response = await system.graphql(CREATE, { input: { label: 'ghost', storeIds: [shinjuku.id, unknownId, 'S999'] } }, system.adminHeaders());
    expect(refusal(response)).toEqual({ status: 200, data: null, codes: ['BAD_USER_INPUT'] });
    expect(response.errors?.[0]?.message).toBe(`Unknown stores: ${unknownId}, S999`);
    expect(await keyCount()).toBe(before);
  });

  it.each([
    ['an empty label', { label: '  ', storeIds: ['S001'] }, 'label'],
    ['no store', { label: 'register', storeIds: [] }, 'storeIds'],
    ['a label over 100 characters', { label: 'x'.repeat(101), storeIds: ['S001'] }, 'label'],
  ])('refuses %s with BAD_USER_INPUT and writes no key', async (_label, input, field) => {
    const before = await keyCount();
    const response = await system.graphql(CREATE, { input }, system.adminHeaders());
    expect(refusal(response)).toEqual({ status: 200, data: null, codes: ['BAD_USER_INPUT'] });
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(await keyCount()).toBe(before);
  });

  it('revokes a key: it stops working at once, revoking again changes nothing, an unknown id is NOT_FOUND', async () => {
    const { key, apiKey } = await createKey({ label: 'to revoke', storeIds: [shinjuku.id] });
    const usedAt = advance(1_000);
    expect(ok(await lookUp(key)).memberByCode.id).toBe(member.id);

    const revokedAt = advance(2_000);
    const revoked = ok(await system.graphql<{ revokeApiKey: ApiKeyView }>(REVOKE, { id: apiKey.id }, system.adminHeaders())).revokeApiKey;
    expect(revoked).toEqual({ ...apiKey, lastUsedAt: usedAt.toISOString(), revokedAt: revokedAt.toISOString() });

    const refused = await lookUp(key);
    expect(refusal(refused)).toEqual({ status: 401, data: undefined, codes: ['UNAUTHENTICATED'] });

    advance(2_000);
    const again = ok(await system.graphql<{ revokeApiKey: ApiKeyView }>(REVOKE, { id: apiKey.id }, system.adminHeaders())).revokeApiKey;
    expect(again).toEqual(revoked);
    const listed = ok(await system.graphql<{ apiKeys: ApiKeyView[] }>(LIST, {}, system.adminHeaders())).apiKeys;
    expect(listed.find((k) => k.id === apiKey.id)?.revokedAt).toBe(revokedAt.toISOString());

    const unknown = await system.graphql(REVOKE, { id: 'AAAAAAAAAAAA' }, system.adminHeaders());
    expect(refusal(unknown)).toEqual({ status: 200, data: null, codes: ['NOT_FOUND'] });
  });

  it('answers SERVICE_UNAVAILABLE while the stores cannot be checked, and writes no key', async () => {
    const before = await keyCount();
    await system.stop('purchases');
    try {
      const response = await system.graphql(CREATE, { input: { label: 'register', storeIds: [shinjuku.id] } }, system.adminHeaders());
      expect(refusal(response)).toEqual({ status: 200, data: null, codes: ['SERVICE_UNAVAILABLE'] });
      expect(response.errors?.[0]?.message).toBe('The stores cannot be checked right now; try again shortly');
    } finally {
      await system.restart('purchases');
    }
    expect(await keyCount()).toBe(before);
  });

  describe('refuses everyone but administrators, writing nothing', () => {
    let victim: ApiKeyView;
    beforeAll(async () => {
      victim = (await createKey({ label: 'victim', storeIds: [shinjuku.id] })).apiKey;
    });

    const callers: [string, () => Promise<Record<string, string>>, string][] = [
      ['staff', async () => system.staffHeaders(), 'FORBIDDEN'],
      ['a POS key', () => system.posHeaders([shinjuku.id]), 'FORBIDDEN'],
      ['a customer', async () => system.customerHeaders(member.id), 'FORBIDDEN'],
      ['an anonymous caller', async () => ({}), 'UNAUTHENTICATED'],
    ];
    it.each(callers)('%s', async (_label, headers, code) => {
      const as = await headers();
      const before = await keyCount();
      const operations: [string, Record<string, unknown>][] = [
        [CREATE, { input: { label: 'sneaky', storeIds: [shinjuku.id] } }],
        [LIST, {}],
        [REVOKE, { id: victim.id }],
      ];
      for (const [query, variables] of operations) {
        expect(refusal(await system.graphql(query, variables, as))).toEqual({ status: 200, data: null, codes: [code] });
      }
      expect(await keyCount()).toBe(before);
      const listed = ok(await system.graphql<{ apiKeys: ApiKeyView[] }>(LIST, {}, system.adminHeaders())).apiKeys;
      expect(listed.find((k) => k.id === victim.id)?.revokedAt).toBeNull();
    });
  });
});

describe('npm run apikey', () => {
  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = system.processEnv({ PURCHASES_URL: `${system.subgraphs.purchases.url}/graphql` });
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/apikey.ts', ...args], { cwd: REPO_ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('refuses an unknown store code with a clear message and exit 1, and writes no key', async () => {
    const before = await keyCount();
    await expect(cli(['create', '--store', 'S404', '--name', 'register'])).resolves.toEqual({ code: 1, stdout: '', stderr: 'Unknown store: S404\n' });
    expect(await keyCount()).toBe(before);
  }, 60_000);

  it('creates a key from a store code and a store id, and revokes it', async () => {
    const created = await cli(['create', '--store', 'S002', '--store', shinjuku.id, '--name', '渋谷店レジ']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const match = /^Created key ([A-Za-z0-9_-]{12}) for S002 \(([0-9a-f]{24})\), S001 \(([0-9a-f]{24})\)\. It is shown only once:\n(omo_pos_\S+)\n$/.exec(created.stdout);
    expect(match?.slice(2, 4)).toEqual([shibuya.id, shinjuku.id]);
    const [, keyId, , , key] = match!;
    expect(ok(await lookUp(key!)).memberByCode.id).toBe(member.id);

    await expect(cli(['revoke', `--id=${keyId!}`])).resolves.toEqual({ code: 0, stdout: `Revoked ${keyId}\n`, stderr: '' });
    expect(refusal(await lookUp(key!))).toEqual({ status: 401, data: undefined, codes: ['UNAUTHENTICATED'] });
  }, 60_000);
});
